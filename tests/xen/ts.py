#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Prefixes each line of stdin with the host's wall-clock seconds since start (serial logs).
import sys
import time

t0 = time.time()
for line in sys.stdin.buffer:
    sys.stdout.buffer.write(b"[%7.2f] " % (time.time() - t0) + line)
    sys.stdout.flush()
