"""Without Optuna, brique.search says which extra to install (runs whether or not Optuna is
installed: the import is blocked in a subprocess)."""
import subprocess
import sys


def test_missing_optuna_names_the_extra():
    code = ("import sys; sys.modules['optuna'] = None\n"
            "import brique\n"
            "try:\n    brique.search\nexcept ImportError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install 'brique[search]'" in out.stdout
