"""Write docs/playground.png: the playground page after training on the spiral.

    python examples/playground_screenshot.py [--out docs/playground.png] [--epochs 600]

Needs playwright and a chromium binary (Debian's: apt-get install chromium).
"""
import argparse
import shutil
import threading

from playwright.sync_api import sync_playwright

from brique.playground import make_server

SPIRAL = ("dataset=spiral&noise=0&features=x1,x2,x1sq,x2sq,x1x2,sinx1,sinx2&layers=8,8,6"
          "&learning-rate=0.03&show-test=true")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="docs/playground.png")
    parser.add_argument("--epochs", type=int, default=600)
    args = parser.parse_args()
    server = make_server("127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                                    args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1320, "height": 640})
        page.set_default_timeout(600_000)
        page.goto(f"{server.url}#{SPIRAL}")
        page.wait_for_function("document.querySelector('#network').dataset.shape === '7-8-8-6-1'")
        page.click("#play")
        page.wait_for_function("Number(document.querySelector('#epoch').textContent"
                               f".replace(/,/g, '')) >= {args.epochs}")
        page.click("#play")
        page.wait_for_function("!document.querySelector('#play').classList.contains('playing')")
        page.wait_for_timeout(300)
        page.screenshot(path=args.out, full_page=True)
        print(f"wrote {args.out} at epoch {page.inner_text('#epoch')}: train loss "
              f"{page.inner_text('#train-loss')}, test loss {page.inner_text('#test-loss')}")
        browser.close()
    server.shutdown()
    try:  # a 192-colour palette: a third of the bytes, no visible change
        from PIL import Image
        Image.open(args.out).convert("RGB").quantize(192, dither=Image.Dither.NONE).save(
            args.out, optimize=True)
    except ImportError:
        pass


if __name__ == "__main__":
    main()
