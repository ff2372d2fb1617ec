import os
import sys

NATIVE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if NATIVE not in sys.path:
    sys.path.insert(0, NATIVE)
