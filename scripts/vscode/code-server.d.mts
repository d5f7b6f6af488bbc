// Types for scripts/vscode/code-server.mjs, for the TypeScript test harnesses that import it.

export declare const CODE_SERVER_VERSION: string;
export declare const projectRoot: string;
export declare const cacheDir: string;
export declare const installDir: string;
export declare const codeServerEntry: string;
export declare const DEBIAN_PACKAGES: readonly string[];

export interface Profile {
  dir: string;
  userDataDir: string;
  extensionsDir: string;
  configFile: string;
  /** code-server's stdout and stderr, appended. */
  logFile: string;
}

export interface RunningCodeServer {
  /** e.g. http://127.0.0.1:41234/ */
  url: string;
  port: number;
  /** Process id of code-server, also the id of its process group. */
  pid: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
  /** Ends the whole process group (server and every extension host). */
  stop(): Promise<void>;
}

export declare function missingDebianPackages(packages?: readonly string[]): string[];
export declare function isCodeServerInstalled(): boolean;
export declare function assertCodeServerInstalled(): void;
export declare function prepareProfile(profileDir: string, options?: { fresh?: boolean; settings?: Record<string, unknown> }): Profile;
export declare function installVsix(profile: Profile, vsixPath: string): string;
export declare function startCodeServer(options: {
  profile: Profile;
  port?: number;
  args?: string[];
  env?: Record<string, string>;
  timeoutMs?: number;
  echo?: boolean;
}): Promise<RunningCodeServer>;
export declare function killGroup(pid: number, signal: NodeJS.Signals): void;
export declare function workbenchUrl(server: RunningCodeServer, folder: string, payload?: [string, string][]): string;
export declare function remoteUri(server: RunningCodeServer, absolutePath: string): string;
