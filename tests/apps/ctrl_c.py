#!/usr/bin/env python3
"""ctrl_c.py DELAY CMD...: run CMD as the foreground job of a new terminal
(a pseudo-terminal), type Ctrl-C after DELAY seconds, copy what it printed to
stdout, and exit with its exit status. The terminal, not a kill(1), sends
the SIGINT: to the whole foreground process group, as at a keyboard."""
import os
import pty
import select
import sys
import time


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: ctrl_c.py DELAY CMD...")
    delay = float(sys.argv[1])
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(sys.argv[2], sys.argv[2:])
    start, typed = time.monotonic(), False
    while True:
        if not typed and time.monotonic() - start >= delay:
            os.write(fd, b"\x03")
            typed = True
        try:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if ready:
                data = os.read(fd, 65536)
                if not data:
                    break
                sys.stdout.buffer.write(data)
        except OSError:  # the terminal is gone: the job ended
            break
    _, status = os.waitpid(pid, 0)
    sys.stdout.flush()
    sys.exit(os.waitstatus_to_exitcode(status) & 0xFF)


if __name__ == "__main__":
    main()
