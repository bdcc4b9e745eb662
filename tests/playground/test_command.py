import subprocess
import sys
import urllib.request

from brique import cli


def test_playground_command_parses_its_options():
    args = cli.build_parser().parse_args(["playground", "--port", "0", "--host", "127.0.0.1",
                                          "--no-browser"])
    assert (args.command, args.port, args.host, args.no_browser) == ("playground", 0,
                                                                     "127.0.0.1", True)
    assert cli.build_parser().parse_args(["playground"]).port == 8000


def test_brique_playground_serves_the_page():
    proc = subprocess.Popen([sys.executable, "-m", "brique.cli", "playground", "--port", "0",
                             "--no-browser"], stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("brique playground: http://127.0.0.1:")
        url = line.split()[2]
        page = urllib.request.urlopen(url, timeout=30).read().decode()
        assert 'id="boundary"' in page
    finally:
        proc.terminate()
        proc.wait(timeout=30)
