import { toolVersion } from '../core/version';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { findPgbench } from '../core/bench/findPgbench';
import type { DemoSeedResult } from '../core/demo/seed';
import { seedSandboxDemo } from '../core/demo/seed';
import { describeError } from '../core/errors';
import type { ServerBinaries } from '../core/sandbox/binaries';
import { binaryMajorVersion, embeddedBinaries } from '../core/sandbox/binaries';
import type { SandboxInfo, SandboxOptions } from '../core/sandbox/sandbox';
import { resetSandbox, sandboxStatus, startSandbox, stopSandbox } from '../core/sandbox/sandbox';
import type { Logger } from '../core/log';
import type { ProfileStore } from './profiles';
import type { SessionManager } from './sessions';
import { benchReportsFolder, config, sandboxPort } from './settings';
import { toAbortSignal } from './ui';

export const sandboxProfileId = 'sandbox';

/** The extension's side of the local sandbox: start/join, stop when the last window leaves, its profile. */
export class SandboxController {
  private info: SandboxInfo | undefined;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly profiles: ProfileStore,
    private readonly sessions: SessionManager,
    private readonly logger: Logger,
  ) {}

  private options(): SandboxOptions {
    return {
      storageDir: this.context.globalStorageUri.fsPath,
      binaries: this.binaries(),
      port: sandboxPort(),
      logger: this.logger,
      holder: process.pid,
    };
  }

  private binaries(): ServerBinaries {
    const override = config().get<string>('sandbox.binDir', '');
    if (override) return { binDir: override, major: binaryMajorVersion(override), origin: 'setting' };
    return embeddedBinaries(this.context.extensionPath);
  }

  get running(): SandboxInfo | undefined {
    return this.info;
  }

  async start(): Promise<SandboxInfo> {
    const info = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: 'Postgres Ops: starting the local sandbox (PostgreSQL 18)…',
        cancellable: true,
      },
      async (progress, token) => {
        const options = this.options();
        const started = await startSandbox(options, toAbortSignal(token));
        // seeded before the profile appears, so the views' first load shows the demo
        if (config().get<boolean>('sandbox.seedDemo', true))
          await this.seedDemo(options, started, toAbortSignal(token), (message) => progress.report({ message }));
        return started;
      },
    );
    this.info = info;
    await this.profiles.setSandbox({
      id: sandboxProfileId,
      name: 'Local sandbox (PostgreSQL 18)',
      host: info.host,
      port: info.port,
      user: info.user,
      dbname: info.database,
      sandbox: true,
    });
    await vscode.commands.executeCommand('setContext', 'pgops.sandboxRunning', true);
    this.logger.info(
      `Local sandbox ${info.started ? 'started' : 'joined'}: port ${info.port}, data ${info.dataDir}, log ${info.logFile}`,
    );
    return info;
  }

  /** A demo that cannot be seeded (no pgbench, say) is reported, and the sandbox still starts; the next start tries again. */
  private async seedDemo(
    options: SandboxOptions,
    info: SandboxInfo,
    signal: AbortSignal,
    onStep: (message: string) => void,
  ): Promise<DemoSeedResult | undefined> {
    try {
      return await seedSandboxDemo({
        sandbox: options,
        info,
        pgbenchPath: findPgbench({
          setting: config().get<string>('pgbenchPath') || undefined,
          binDir: options.binaries.binDir,
        }).path,
        reportsDir: benchReportsFolder(this.context.globalStorageUri.fsPath),
        logger: this.logger,
        signal,
        onStep: (message) => onStep(`demo data: ${message}`),
        toolVersion,
      });
    } catch (err) {
      this.logger.warn(`demo data not seeded: ${describeError(err)}`);
      void vscode.window.showWarningMessage(
        `Postgres Ops: the sandbox started, but its demo data was not added: ${describeError(err)}`,
      );
      return undefined;
    }
  }

  /** Stops the server unless another window still holds it; `force` stops it regardless. */
  async stop(force = false): Promise<boolean> {
    await this.sessions.disconnect(sandboxProfileId);
    const stopped = await stopSandbox(this.options(), force);
    this.info = undefined;
    await vscode.commands.executeCommand('setContext', 'pgops.sandboxRunning', false);
    await this.profiles.setSandbox(undefined);
    this.logger.info(stopped ? 'Local sandbox stopped' : 'Left the local sandbox running for another window');
    return stopped;
  }

  async reset(): Promise<void> {
    await this.sessions.disconnect(sandboxProfileId);
    await resetSandbox(this.options());
    this.info = undefined;
    await this.profiles.setSandbox(undefined);
    await vscode.commands.executeCommand('setContext', 'pgops.sandboxRunning', false);
  }

  status() {
    return sandboxStatus(this.options());
  }

  /** On deactivate: release this window's hold; the server stops when no other window holds it. */
  async release(): Promise<void> {
    if (!this.info) return;
    await this.sessions.disconnect(sandboxProfileId);
    const stopped = await stopSandbox(this.options(), false);
    this.logger.info(stopped ? 'Local sandbox stopped on deactivate' : 'Local sandbox left running for another window');
  }

  logFile(): string | undefined {
    return this.info ? path.resolve(this.info.logFile) : undefined;
  }
}
