#!/usr/bin/python3
"""Does to the top-level window of the given processes what a person or the
window manager does, where WebDriver cannot:

  app-window.py close PID [PID ...]
      Asks the window to close, as a window manager does when the close button is
      clicked: an X11 WM_DELETE_WINDOW message (ICCCM 4.2.8.1). GTK turns it into
      the window's delete event, and Tauri into `WindowEvent::CloseRequested`.
      (WebDriver's "close window" ends the session instead.)

  app-window.py press COMBO PID [PID ...]      COMBO like "ctrl+q", "ctrl+comma"
      Presses keys as a person at the keyboard does: the window gets the X input
      focus, then XTEST (the X server's input-faking extension, which Xvfb has)
      presses and releases them. GTK sees real key events, so a menu item's
      accelerator fires; WebDriver's key actions reach only the page.

Prints how many windows it acted on, and exits 1 if none was found. Debian's
python3 with python3-xlib (install-deps.sh).
"""
import sys

from Xlib import X, XK, display, protocol
from Xlib.ext import xtest

MODIFIERS = {"ctrl": "Control_L", "shift": "Shift_L", "alt": "Alt_L"}


def app_windows(d, pids):
    """The viewable top-level windows whose _NET_WM_PID is one of `pids`."""
    net_wm_pid = d.intern_atom("_NET_WM_PID")
    for window in d.screen().root.query_tree().children:
        try:
            pid = window.get_full_property(net_wm_pid, X.AnyPropertyType)
            if pid and pid.value[0] in pids and window.get_attributes().map_state == X.IsViewable:
                yield window
        except Exception:  # a window gone while being looked at
            continue


def close(d, window):
    wm_protocols = d.intern_atom("WM_PROTOCOLS")
    wm_delete = d.intern_atom("WM_DELETE_WINDOW")
    if wm_delete not in (window.get_wm_protocols() or []):
        return False
    window.send_event(
        protocol.event.ClientMessage(
            window=window,
            client_type=wm_protocols,
            data=(32, [wm_delete, X.CurrentTime, 0, 0, 0]),
        )
    )
    return True


def press(d, window, keycodes):
    window.set_input_focus(X.RevertToParent, X.CurrentTime)
    d.sync()
    for code in keycodes:
        xtest.fake_input(d, X.KeyPress, code)
    for code in reversed(keycodes):
        xtest.fake_input(d, X.KeyRelease, code)
    return True


def main() -> int:
    action, args = sys.argv[1], sys.argv[2:]
    d = display.Display()
    if action == "press":
        keycodes = []
        for name in args.pop(0).lower().split("+"):
            code = d.keysym_to_keycode(XK.string_to_keysym(MODIFIERS.get(name, name)))
            if not code:
                print(f"no key named {name!r}", file=sys.stderr)
                return 2
            keycodes.append(code)
        act = lambda window: press(d, window, keycodes)
    elif action == "close":
        act = lambda window: close(d, window)
    else:
        print(f"unknown action {action!r}: close or press", file=sys.stderr)
        return 2
    done = 0
    for window in app_windows(d, {int(p) for p in args}):
        if act(window):
            done += 1
            if action == "press":
                break  # keys go to one window
    d.sync()
    print(done)
    return 0 if done else 1


if __name__ == "__main__":
    sys.exit(main())
