// What Tauri puts on `window` (withGlobalTauri in tauri.conf.json): the one part
// of it the page uses, `core.invoke` and `core.Channel`, called only by ui/api.js.
interface TauriChannel<T> {
  onmessage: (message: T) => void;
}

interface Window {
  __TAURI__?: {
    core?: {
      invoke: (cmd: string, args?: Record<string, unknown>, options?: unknown) => Promise<unknown>;
      Channel: new <T>() => TauriChannel<T>;
    };
  };
}
