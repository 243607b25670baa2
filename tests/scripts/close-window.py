#!/usr/bin/python3
"""Asks the top-level windows of the given processes to close, as a window manager
does when the creator clicks the window's close button: an X11 WM_DELETE_WINDOW
message (ICCCM 4.2.8.1). GTK turns it into the window's delete event, and Tauri
into `WindowEvent::CloseRequested`. WebDriver has no such call: its "close window"
ends the session instead.

Usage: close-window.py PID [PID ...]; prints how many windows were asked, and
exits 1 if none was found. Debian's python3 with python3-xlib (install-deps.sh).
"""
import sys

from Xlib import X, display, protocol


def main() -> int:
    pids = {int(p) for p in sys.argv[1:]}
    d = display.Display()
    root = d.screen().root
    wm_protocols = d.intern_atom("WM_PROTOCOLS")
    wm_delete = d.intern_atom("WM_DELETE_WINDOW")
    net_wm_pid = d.intern_atom("_NET_WM_PID")
    asked = 0
    for window in root.query_tree().children:
        try:
            pid = window.get_full_property(net_wm_pid, X.AnyPropertyType)
            if not pid or pid.value[0] not in pids:
                continue
            if wm_delete not in (window.get_wm_protocols() or []):
                continue
            if window.get_attributes().map_state != X.IsViewable:
                continue
        except Exception:  # a window gone while being looked at
            continue
        event = protocol.event.ClientMessage(
            window=window,
            client_type=wm_protocols,
            data=(32, [wm_delete, X.CurrentTime, 0, 0, 0]),
        )
        window.send_event(event)
        asked += 1
    d.flush()
    print(asked)
    return 0 if asked else 1


if __name__ == "__main__":
    sys.exit(main())
