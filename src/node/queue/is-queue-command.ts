/**
 * Dependency-free test for the queue sub-commands, so that `src/node/cli.ts` loads the queue's
 * command line (and BullMQ) only when it is asked for.
 */

const NAMES: readonly string[] = ['worker', 'enqueue', 'queue'];

/**
 * True when `argv` (node, script, args…) is a queue sub-command: `worker`, `enqueue` or `queue`
 * followed by `--redis` somewhere, by help, or by nothing. Every queue sub-command needs
 * `--redis`, which the main command has not: that tells `facedetail worker --redis …` apart from
 * an input folder named "worker".
 *
 * @example
 * isQueueCommand(['node', 'facedetail', 'worker', '--redis', 'redis://127.0.0.1:6379']) // true
 * isQueueCommand(['node', 'facedetail', 'worker', '-o', 'out'])                          // false: a folder named "worker"
 */
export function isQueueCommand(argv: readonly string[]): boolean {
  const cmd = argv[2];
  if (cmd === undefined || !NAMES.includes(cmd)) return false;
  const rest = argv.slice(3);
  if (rest.length === 0) return true;
  if (cmd === 'queue' && (rest[0] === 'status' || rest[0] === 'help')) return true;
  return rest.some((a) => a === '--redis' || a.startsWith('--redis=') || a === '-h' || a === '--help');
}
