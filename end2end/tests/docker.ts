import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * A Docker engine of the test's own: Debian's dockerd on a private socket with no networking
 * set up (as the Rust tests start it), and one client configuration per Berth user, so that
 * two users can be logged in at once.
 */
export class Engine {
  private constructor(
    private readonly dir: string,
    private readonly daemon: ChildProcess,
    private readonly host: string,
  ) {}

  static async start(): Promise<Engine> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-dk-'));
    const host = `unix://${path.join(dir, 'docker.sock')}`;
    const log = fs.openSync(path.join(dir, 'dockerd.log'), 'w');
    const daemon = spawn(
      'dockerd',
      [
        '--iptables=false',
        '--ip6tables=false',
        '--bridge=none',
        '--storage-driver=vfs',
        '--data-root', path.join(dir, 'data'),
        '--exec-root', path.join(dir, 'exec'),
        '--pidfile', path.join(dir, 'docker.pid'),
        '-H', host,
      ],
      { stdio: ['ignore', log, log] },
    );
    const engine = new Engine(dir, daemon, host);
    const started = Date.now();
    while (engine.run('nobody', ['version']).status !== 0) {
      if (Date.now() - started > 60_000 || daemon.exitCode !== null) {
        throw new Error(`dockerd did not come up:\n${fs.readFileSync(path.join(dir, 'dockerd.log'), 'utf8')}`);
      }
      await new Promise((r) => setTimeout(r, 300));
    }
    return engine;
  }

  /** `unix:///…/docker.sock`, for Berth's build workers. */
  get dockerHost(): string {
    return this.host;
  }

  /** Runs `docker ARGS` with `user`'s client configuration. */
  run(user: string, args: string[], input?: string): { status: number | null; output: string } {
    const res = spawnSync('docker', args, {
      env: { ...process.env, DOCKER_HOST: this.host, DOCKER_CONFIG: path.join(this.dir, 'clients', user) },
      input,
      encoding: 'utf8',
      timeout: 120_000,
    });
    return { status: res.status, output: `${res.stdout ?? ''}${res.stderr ?? ''}` };
  }

  /** Runs docker and returns its output; throws with the output if it failed. */
  ok(user: string, args: string[], input?: string): string {
    const { status, output } = this.run(user, args, input);
    if (status !== 0) throw new Error(`docker ${args.join(' ')} failed (${status}):\n${output}`);
    return output;
  }

  /** Runs docker expecting it to fail; returns its output. */
  fails(user: string, args: string[]): string {
    const { status, output } = this.run(user, args);
    if (status === 0) throw new Error(`docker ${args.join(' ')} should have failed:\n${output}`);
    return output;
  }

  login(user: string, registry: string, password: string): string {
    return this.ok(user, ['login', registry, '-u', user, '--password-stdin'], password);
  }

  /**
   * Imports a one-layer image made offline: busybox (Debian's busybox-static) and a greeting,
   * named `name`. Its platform is the engine's own (linux/amd64 here).
   */
  importImage(name: string): void {
    const root = path.join(this.dir, 'rootfs');
    fs.mkdirSync(path.join(root, 'bin'), { recursive: true });
    fs.copyFileSync('/bin/busybox', path.join(root, 'bin', 'busybox'));
    fs.chmodSync(path.join(root, 'bin', 'busybox'), 0o755);
    for (const tool of ['sh', 'cat']) {
      if (!fs.existsSync(path.join(root, 'bin', tool))) fs.symlinkSync('busybox', path.join(root, 'bin', tool));
    }
    fs.writeFileSync(path.join(root, 'greeting'), 'hello from the browser test\n');
    const tar = path.join(this.dir, 'rootfs.tar');
    const made = spawnSync('tar', ['-C', root, '-cf', tar, '.']);
    if (made.status !== 0) throw new Error(`tar failed: ${made.stderr}`);
    this.ok('nobody', ['import', tar, name]);
  }

  /** Stops the daemon (SIGTERM lets it stop its containerd) and removes its files. */
  async stop(): Promise<void> {
    if (this.daemon.exitCode === null) {
      const exited = new Promise((r) => this.daemon.once('exit', r));
      this.daemon.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
      if (this.daemon.exitCode === null) this.daemon.kill('SIGKILL');
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
