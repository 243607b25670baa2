window.__TAURI__.core.invoke('ping');
