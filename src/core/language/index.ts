/** Editor language features as pure functions of the core's Analysis (no `vscode` import). */
export * from './completion';
export * from './cursorContext';
export * from './hover';
export * from './instances';
export * from './navigation';
export * from './outline';
export * from './sourceIndex';
export * from './vocabulary';
export * from './quickFixes';
