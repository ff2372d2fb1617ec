"""`python -m loupe_worker`: the PyTorch engine's worker process, one request at a time over stdio
(wire.py frames). `python -m loupe_worker --check` prints the environment as JSON and exits."""

from __future__ import annotations

import json
import os
import struct
import sys
import traceback

from .envcheck import environment, missing_packages


def main() -> int:
    if "--check" in sys.argv:
        print(json.dumps(environment()))
        return 0
    # The protocol owns the real stdout; anything a library prints goes to stderr (the engine log).
    proto_out = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    proto_in = sys.stdin.buffer
    missing = missing_packages()
    if missing:
        # wire.py needs numpy, which may be what is missing: this one frame is written by hand.
        message = (
            f"{sys.executable} lacks {', '.join(missing)}: run native-models/setup-venv.sh (or point LOUPE_VENV at a venv that has them)."
        )
        head = json.dumps({"type": "fatal", "code": "unavailable", "message": message, "blobs": []}).encode()
        proto_out.write(struct.pack("<I", len(head)) + head)
        return 3
    from .server import Server
    from .wire import read_frame, write_frame

    server = Server()
    write_frame(proto_out, {"type": "ready", "env": environment()})
    while True:
        try:
            header, blobs = read_frame(proto_in)
        except EOFError:
            return 0
        try:
            result, out_blobs = server.handle(header, blobs)
            write_frame(proto_out, {"type": "result", "id": header.get("id"), "result": result}, out_blobs)
        except Exception as err:  # every failure goes back as an error frame; the worker stays up
            payload = server.error_payload(err)
            payload["trace"] = traceback.format_exc(limit=6)
            write_frame(proto_out, {"type": "error", "id": header.get("id"), "error": payload})
        if header.get("method") == "shutdown":
            return 0


if __name__ == "__main__":
    sys.exit(main())
