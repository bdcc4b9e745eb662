"""The page in a real browser: Debian's headless Chromium driven by playwright.

Skipped where either is missing; `.ci/run` installs both, so in CI it runs.
"""
import os
import shutil

import pytest

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = next((p for p in (os.environ.get("CHROMIUM"), shutil.which("chromium"),
                             shutil.which("chromium-browser"), "/usr/bin/chromium")
                 if p and os.path.exists(p)), None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary (apt-get install "
                                                         "chromium)")
TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM,
                                    args=["--no-sandbox", "--disable-gpu"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser, server):
    """The page, fresh; the test fails on any JavaScript error or console error in it."""
    errors = []
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    page.set_default_timeout(TIMEOUT_MS)
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    page.on("console", lambda m: m.type == "error" and errors.append(f"console: {m.text}"))
    page.goto(server.url)
    page.wait_for_selector("#feature-x1")
    page.wait_for_function("document.querySelector('#network').dataset.shape === '2-4-2-1'")
    yield page
    page.close()
    assert errors == [], errors


def number(page, selector):
    text = page.inner_text(selector).replace(",", "")
    return float(text)


def wait_epoch(page, at_least):
    page.wait_for_function(f"Number(document.querySelector('#epoch').textContent"
                           f".replace(/,/g, '')) >= {at_least}")


def boundary(page):
    return page.eval_on_selector("#boundary", "c => c.toDataURL()")


def test_train_xor_in_the_page(page):
    page.select_option("#dataset", "xor")
    page.wait_for_function("document.querySelector('#boundary').dataset.state"
                           ".includes('dataset=xor')")
    assert number(page, "#epoch") == 0
    loss0, picture0 = number(page, "#train-loss"), boundary(page)
    page.click("#play")
    wait_epoch(page, 40)
    page.click("#play")                             # pause
    page.wait_for_function("!document.querySelector('#play').classList.contains('playing')")
    epoch = number(page, "#epoch")
    assert epoch >= 40
    assert number(page, "#train-loss") < loss0
    assert boundary(page) != picture0
    page.click("#step")
    wait_epoch(page, epoch + 1)


def test_features_and_layers_change_the_network(page):
    shape = lambda: page.eval_on_selector("#network", "n => n.dataset.shape")  # noqa: E731
    page.check("#feature-x1x2")
    page.wait_for_function("document.querySelector('#network').dataset.shape === '3-4-2-1'")
    assert "features=x1,x2,x1x2" in page.url
    page.click("#add-layer")
    page.wait_for_function("document.querySelector('#network').dataset.shape === '3-4-2-2-1'")
    page.click("#remove-layer")
    page.click("#remove-layer")
    page.wait_for_function("document.querySelector('#network').dataset.shape === '3-4-1'")
    page.click(".add-neuron[data-layer='0']")
    page.wait_for_function("document.querySelector('#network').dataset.shape === '3-5-1'")
    assert "layers=5&" in page.url and shape() == "3-5-1"
    assert page.locator("#links path").count() == 3 * 5 + 5
    page.uncheck("#feature-x1")
    page.wait_for_function("document.querySelector('#network').dataset.shape === '2-5-1'")


def test_every_control_round_trips_through_the_url(page, server):
    page.select_option("#activation", "relu")
    page.select_option("#regularization", "l2")
    page.fill("#reg-rate", "0.003")
    page.press("#reg-rate", "Enter")
    page.fill("#learning-rate", "0.1")
    page.press("#learning-rate", "Enter")
    page.wait_for_function("location.hash.includes('learning-rate=0.1&')")
    url = page.url
    for key in ("activation=relu", "regularization=l2", "reg-rate=0.003"):
        assert key in url
    page.goto(server.url + "#dataset=spiral&layers=3,3&noise=20&batch-size=4&show-test=true")
    page.wait_for_function("document.querySelector('#network').dataset.shape === '2-3-3-1'")
    page.wait_for_function("document.querySelector('#noise').value === '20'")
    assert page.input_value("#dataset") == "spiral" and page.input_value("#noise") == "20"
    assert page.input_value("#batch-size") == "4" and page.is_checked("#show-test")


def test_a_reply_landing_before_the_hashchange_event_does_not_hide_it(page):
    # A reply's replaceState between a navigation and its (queued) hashchange event: the page
    # must follow the URL it went to, not the hash it finds when the event runs.
    page.evaluate("() => { const was = location.hash;"
                  " location.hash = 'dataset=spiral&layers=3,3';"
                  " history.replaceState(null, '', was); }")
    page.wait_for_function("document.querySelector('#network').dataset.shape === '2-3-3-1'")
    assert "dataset=spiral" in page.url


def test_edit_a_weight_by_clicking_its_link(page):
    page.locator("#links path").first.click(force=True)
    page.fill("#param-value", "2.5")
    page.press("#param-value", "Enter")
    page.wait_for_function("document.querySelector('#links path title').textContent"
                           " === 'weight 2.500'")


def test_presets_and_teacher_mode(page):
    page.select_option("#preset", "circle-squares")
    page.wait_for_function("document.querySelector('#network').dataset.shape === '2-1'")
    assert "x1\u00b2" in page.inner_text("#preset-comment")
    page.click("#teacher")
    page.check("[data-control='noise'] .hide-box")
    page.click("#teacher")
    page.wait_for_function("location.hash.includes('hide=noise')")
    assert not page.is_visible("#noise") and page.is_visible("#batch-size")


def test_hovering_a_neuron_shows_its_map(page):
    before = boundary(page)
    page.hover(".node.neuron >> nth=0")
    page.wait_for_function(f"document.querySelector('#boundary').toDataURL() !== {before!r}")
    page.mouse.move(5, 5)
    page.wait_for_function(f"document.querySelector('#boundary').toDataURL() === {before!r}")


def test_an_out_of_range_value_is_repaired_in_the_page(page):
    page.fill("#learning-rate", "100")
    page.press("#learning-rate", "Enter")
    page.wait_for_function("document.querySelector('#learning-rate').value === '10.0'")
    assert "learning-rate=10.0&" in page.url


def test_upload_csv_data_with_three_classes(page):
    rows = ["x1,x2,label"] + [f"{(i % 9) - 4},{(i * 7) % 9 - 4},{'abc'[i % 3]}"
                              for i in range(90)]
    page.set_input_files("#upload", files=[{"name": "mine.csv", "mimeType": "text/csv",
                                            "buffer": "\n".join(rows).encode()}])
    page.wait_for_function("document.querySelector('#network').dataset.shape === '2-4-2-3'")
    page.wait_for_function("document.querySelector('#dataset').value === 'custom'")
    assert "dataset=custom" in page.url
