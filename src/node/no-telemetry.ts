/**
 * Privacy guard, imported first by every Node entry point (library, CLI, workers) and by the
 * module that loads onnxruntime-node.
 *
 * onnxruntime-node (1.2x–1.30 on Linux/macOS) starts Microsoft's telemetry when its native
 * library loads: a background thread queues events (OS, CPU, RAM, a device id) in
 * `~/.cache/Microsoft/DeveloperTools/.onnxruntime/onnxruntime.db`, looks up
 * `mobile.events.data.microsoft.com` about 10 s after start and then repeatedly to upload
 * them, and writes `/tmp/mat-debug-<pid>.log`. Setting `ORT_DISABLE_TELEMETRY=1` before the
 * native library loads turns all of it off; facedetail never sends anything anywhere, so it is
 * set unconditionally (a user's own `ORT_DISABLE_TELEMETRY=0` is overridden on purpose).
 *
 * An ES module's imports are evaluated in order, depth first, so importing this module before
 * anything that may import onnxruntime-node sets the variable in time; the ONNX runtime itself
 * is only ever loaded lazily (`await import('onnxruntime-node')` in `dfdn-runtime.ts`), after this.
 * `test/integration/privacy.test.ts` checks, under `strace`, that a long-running reconstructor
 * opens no network socket.
 */
process.env['ORT_DISABLE_TELEMETRY'] = '1';
