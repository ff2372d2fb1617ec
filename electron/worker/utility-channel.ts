// Runs the engine in an Electron utility process (desktop). A utility process is a separate OS
// process: a native crash in onnxruntime or a long batch run never blocks or kills the window.
// Imported only by the Electron main process.
import { utilityProcess } from 'electron';
import type { ChannelFactory, EngineChannel } from './messages.js';

/** `entryPath`: the bundled engine entry (dist/electron/engine-entry.js). */
export function utilityChannelFactory(entryPath: string): ChannelFactory {
  return (): EngineChannel => {
    const child = utilityProcess.fork(entryPath, [], { serviceName: 'Loupe engine', stdio: 'inherit' });
    const exitListeners: ((detail: string) => void)[] = [];
    let exited = false;
    child.on('exit', (code) => {
      exited = true;
      const detail = `the engine process exited with code ${code}`;
      for (const l of exitListeners) l(detail);
    });
    return {
      post: (message) => child.postMessage(message),
      onMessage: (listener) => void child.on('message', listener),
      onExit: (listener) => void exitListeners.push(listener),
      terminate: async () => {
        if (exited) return;
        await new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          child.kill();
        });
      },
    };
  };
}
