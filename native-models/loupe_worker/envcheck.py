"""What the worker needs from the Python environment, and what this machine's PyTorch can run on.
Imports nothing heavy at module level, so a missing package is reported instead of crashing."""

from __future__ import annotations

import importlib
import platform
import sys

# import name -> pip name
REQUIRED = {
    "torch": "torch",
    "transformers": "transformers",
    "safetensors": "safetensors",
    "PIL": "pillow",
    "numpy": "numpy",
    "jinja2": "jinja2",
}


def missing_packages() -> list[str]:
    missing = []
    for module, pip_name in REQUIRED.items():
        try:
            importlib.import_module(module)
        except Exception as err:  # an ImportError, or a broken install that fails on import
            missing.append(f"{pip_name} ({type(err).__name__}: {err})")
    return missing


def environment() -> dict:
    """Versions and PyTorch devices, for `loupe doctor` and the worker's hello."""
    info: dict = {
        "python": sys.version.split()[0],
        "executable": sys.executable,
        "platform": platform.platform(),
        "missing": missing_packages(),
    }
    try:
        import torch
        import transformers

        info["torch"] = torch.__version__
        info["transformers"] = transformers.__version__
        cuda = {"available": bool(torch.cuda.is_available()), "builtFor": torch.version.cuda, "cudnn": None, "devices": []}
        if cuda["available"]:
            cuda["cudnn"] = torch.backends.cudnn.version()
            for i in range(torch.cuda.device_count()):
                p = torch.cuda.get_device_properties(i)
                free, total = torch.cuda.mem_get_info(i)
                cuda["devices"].append(
                    {"name": p.name, "totalBytes": int(total), "freeBytes": int(free), "capability": f"{p.major}.{p.minor}"}
                )
        elif torch.version.cuda is None:
            cuda["why"] = f"this torch build ({torch.__version__}) has no CUDA support (a CPU wheel)"
        else:
            cuda["why"] = (
                f"torch is built for CUDA {torch.version.cuda} but finds no usable GPU or driver (torch.cuda.is_available() is False)"
            )
        info["cuda"] = cuda
        info["bf16OnCpu"] = True
    except Exception as err:  # reported, not raised: doctor shows it
        info["error"] = f"{type(err).__name__}: {err}"
    return info
