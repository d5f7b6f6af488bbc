/** Generated models shared by the tests and the benchmarks. */

/**
 * A tower of `units` residual units of 7 layers each (conv → bn → relu → conv → bn, add, relu) on 8×8×8,
 * one labelled call per line (`u1: unit(8)` …), then gap → dense(10): 714 units make about 5,000 layers.
 */
export function residualTower(units: number): string {
  const lines = [
    `# Generated: ${units} residual units of 7 layers each.`,
    'block unit(c) {',
    '  a: conv(c, 3, pad=1) -> bn -> relu',
    '  b: a -> conv(c, 3, pad=1) -> bn',
    '  add(b, in) -> relu',
    '}',
    '',
    'model huge(8x8x8) {',
  ];
  for (let i = 1; i <= units; i++) lines.push(`  u${i}: unit(8)`);
  lines.push('  gap -> dense(10)', '}', '');
  return lines.join('\n');
}
