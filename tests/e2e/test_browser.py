"""The app in Chromium, as a user meets it: real server, real clicks, real mouse strokes."""

import re

from playwright.sync_api import expect

from tests.support.browser_pages import (
    IDLE,
    draw_stroke,
    open_page,
    see_curves_advance_then_stop,
    start_training,
)
from tests.support.digit_strokes import DIGIT_STROKES


def test_explore_page_shows_real_digits_and_the_offline_notice(page, app_url):
    open_page(page, app_url)
    expect(page.locator("h1").first).to_have_text("Explore the digits")
    expect(page.get_by_text("real MNIST digits that come with the app")).to_be_visible()
    images = page.locator("[data-testid='stImage'] img")
    expect(images.nth(23)).to_be_visible()
    assert images.first.evaluate("img => img.naturalWidth") == 84


def test_training_shows_progress_and_curves_and_stops(page, app_url):
    """Start training on the sample, watch the bar advance and a curve appear, stop it."""
    start_training(page, app_url, 100)
    see_curves_advance_then_stop(page, 100)


def test_drawing_a_digit_with_the_mouse_shows_the_prediction(page, app_url):
    """The canvas runs the package's bundle with its debounce taken out (no warning that it ran
    as shipped), and the probabilities are drawn as bars."""
    console = []
    page.on("console", lambda message: console.append(message.text))
    open_page(page, app_url, "draw")
    expect(page.get_by_text("Draw a digit on the canvas.")).to_be_visible()
    canvas = page.locator("canvas.upper-canvas").first
    expect(canvas).to_be_visible()
    box = canvas.bounding_box()
    draw_stroke(page, box, [(0.5, 0.12), (0.5, 0.88)])
    prediction = page.locator("[data-testid='stMetric']").filter(has_text="Prediction")
    expect(prediction).to_be_visible()
    expect(prediction.locator("[data-testid='stMetricValue']")).to_have_text("1")
    expect(page.locator(".probability-bars").first).to_have_attribute(
        "aria-label", re.compile(r"Probability of each class: 0 ")
    )
    assert not [text for text in console if "sketch pad" in text], console


def test_shipped_model_reads_the_ten_digits_drawn_with_the_mouse(page, app_url):
    """The demo people remember: draw 0 to 9 on the canvas; the default model reads nearly all."""
    open_page(page, app_url, "draw")
    read_as = []
    for digit in range(10):
        expect(page.get_by_text("Draw a digit on the canvas.")).to_be_visible()
        canvas = page.locator("canvas.upper-canvas").first
        expect(canvas).to_be_visible()
        page.wait_for_timeout(300)  # a cleared canvas is a new one: let it finish mounting
        box = canvas.bounding_box()
        for stroke in DIGIT_STROKES[digit]:
            draw_stroke(page, box, stroke)
        prediction = page.locator("[data-testid='stMetric']").filter(has_text="Prediction")
        expect(prediction).to_be_visible()
        page.wait_for_timeout(300)
        page.wait_for_selector(IDLE)
        read_as.append(prediction.locator("[data-testid='stMetricValue']").inner_text())
        page.get_by_role("button", name="Clear").click()
    right = sum(str(digit) == read for digit, read in enumerate(read_as))
    assert right >= 9, f"the digits 0..9 were read as {read_as}"


def test_one_session_trains_while_another_draws_and_queues(browser, app_url):
    """Two people at once: each sees only their own job; a second job queues; drawing still works."""
    trainer, visitor = (browser.new_context(viewport={"width": 1400, "height": 1000}) for _ in range(2))
    try:
        training, drawing = trainer.new_page(), visitor.new_page()
        for each in (training, drawing):
            each.set_default_timeout(60_000)
        start_training(training, app_url, 100)

        open_page(drawing, app_url, "draw")
        canvas = drawing.locator("canvas.upper-canvas").first
        expect(canvas).to_be_visible()
        draw_stroke(drawing, canvas.bounding_box(), [(0.5, 0.12), (0.5, 0.88)])
        prediction = drawing.locator("[data-testid='stMetric']").filter(has_text="Prediction")
        expect(prediction.locator("[data-testid='stMetricValue']")).to_have_text("1")

        open_page(drawing, app_url, "train")
        expect(drawing.get_by_role("button", name="Start training")).to_be_visible()
        expect(drawing.get_by_role("button", name="Stop training")).to_have_count(0)
        drawing.get_by_role("button", name="Start training").click()
        expect(drawing.get_by_text("Waiting for the trainer: number 1 in the queue")).to_be_visible()

        training.get_by_role("button", name="Stop training").click()
        expect(training.get_by_text(re.compile(r"Stopped early after"))).to_be_visible()
        expect(drawing.get_by_text(re.compile(r"Training mlp on mnist-sample: epoch"))).to_be_visible()
        drawing.get_by_role("button", name="Stop training").click()
        expect(drawing.get_by_text(re.compile(r"Stopped early after"))).to_be_visible()
    finally:
        trainer.close()
        visitor.close()


def test_a_reload_during_training_frees_the_trainer_within_seconds(page, app_url):
    """The reloaded page is a new session; the old one's job stops (and is saved) at once."""
    start_training(page, app_url, 100)
    page.reload()
    expect(page.get_by_role("button", name="Start training")).to_be_visible()
    page.get_by_role("button", name="Start training").click()
    expect(page.get_by_text(re.compile(r"Training mlp on mnist-sample: epoch"))).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Stop training").click()
    expect(page.get_by_text(re.compile(r"Stopped early after"))).to_be_visible()


def test_hostile_input_in_the_browser_gets_a_message_never_a_traceback(page, app_url, tmp_path):
    """A path outside the data folder, an EPS file named .png: a clear message, the page works."""
    open_page(page, app_url)
    field = page.get_by_label("…or one in the data folder", exact=True)
    field.fill("../../../etc/passwd")
    field.press("Enter")
    expect(page.get_by_text("paths are read inside the data folder only")).to_be_visible()
    field.fill("")
    field.press("Enter")
    expect(page.locator("[data-testid='stImage'] img").nth(23)).to_be_visible()

    open_page(page, app_url, "draw")
    eps = tmp_path / "digit.png"
    eps.write_bytes(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n")
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(eps))
    expect(page.get_by_text(re.compile("Cannot read digit.png"))).to_be_visible()
    expect(page.get_by_text("Traceback")).to_have_count(0)
    expect(page.locator("canvas.upper-canvas").first).to_be_visible()


def test_drawing_on_the_inside_page_shows_the_layers_and_the_heat_map(page, app_url):
    open_page(page, app_url, "inside")
    # Earlier tests in the session trained MLPs for an epoch or two, and the newest is in use.
    page.get_by_label("Model in use").click()
    page.get_by_role("option", name=re.compile("^default")).click()
    expect(page.get_by_text("Draw a digit on the canvas.")).to_be_visible()
    canvas = page.locator("canvas.upper-canvas").first
    expect(canvas).to_be_visible()
    page.wait_for_timeout(300)
    for stroke in DIGIT_STROKES[7]:
        draw_stroke(page, canvas.bounding_box(), stroke)
    expect(page.get_by_text("Integrated gradients for 7", exact=True)).to_be_visible()
    expect(
        page.get_by_text("Red pixels pushed the answer towards 7; blue pixels pushed it away.")
    ).to_be_visible()
    expect(page.get_by_role("heading", name="Every layer")).to_be_visible()
    expect(page.get_by_text("Conv2D 1: 32 filters of 3x3, relu").first).to_be_visible()
    expect(page.get_by_text("output 26 × 26 × 32")).to_be_visible()
    expect(page.get_by_role("heading", name="What a unit looks for")).to_be_visible()


MLP, CNN = "The lab's MLP", "The app's CNN"


def test_the_lab_page_trains_with_the_labs_log_and_gives_a_notebook(page, app_url, tmp_path):
    """Run step 5 (the lab's fit), see its log and step 6's accuracy line, download the notebook."""
    import nbformat

    open_page(page, app_url, "lab")
    expect(page.get_by_role("heading", name="4. Build the network")).to_be_visible()
    expect(page.get_by_text("694,950")).to_be_visible()
    field = page.get_by_label("Epochs")
    field.fill("3")
    field.press("Enter")
    expect(page.get_by_text("epochs=3, batch_size=32")).to_be_visible()
    page.get_by_role("button", name="Run this step").click()
    log = page.get_by_text(re.compile(r"Epoch 3/3 - \d+s - loss: [\d.]+ - acc: [\d.]+ - val_loss"))
    # While the whole page reruns after the job ends, Streamlit shows the fragment's last log
    # beside the rerun's for a moment; once the page has settled there is one.
    expect(log.first).to_be_visible(timeout=120_000)
    expect(page.get_by_text(re.compile(r"^Accuracy: 0\.\d+"))).to_be_visible(timeout=60_000)
    expect(log).to_have_count(1)
    expect(page.get_by_text("The loaded model gives the same predictions: True")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download as notebook").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == "classification-models-with-keras.ipynb"
    document = nbformat.read(saved, as_version=4)
    nbformat.validate(document)
    assert any("epochs=3" in cell.source for cell in document.cells)


def choose(page, scope, label: str, option: str) -> None:
    """Open the select box labelled `label` inside `scope` and pick `option`.

    Scrolled to first: a box below the fold that Chromium scrolls to while clicking shuts its
    list as it opens."""
    box = scope.get_by_test_id("stSelectbox").filter(has_text=label)
    box.scroll_into_view_if_needed()
    box.click()
    page.get_by_role("option", name=option, exact=True).click()


def test_a_drawn_digit_saved_with_a_corrected_label_is_on_explore_under_my_digits(page, app_url):
    open_page(page, app_url, "draw")
    canvas = page.locator("canvas.upper-canvas").first
    expect(canvas).to_be_visible()
    page.wait_for_timeout(300)
    draw_stroke(page, canvas.bounding_box(), [(0.5, 0.12), (0.5, 0.88)])
    expect(page.locator("[data-testid='stMetric']").filter(has_text="Prediction")).to_be_visible()
    page.wait_for_selector(IDLE)
    choose(page, page, "It is a", "7")
    page.wait_for_selector(IDLE)
    page.get_by_role("button", name="Save to my digits").click()
    saved = page.get_by_text(re.compile(r"Saved as your digit #(\d+) \((train|test) split\), labelled 7"))
    expect(saved).to_be_visible()
    digit_id, split = re.search(r"#(\d+) \((train|test) split", saved.inner_text()).groups()

    open_page(page, app_url)
    choose(page, page.get_by_test_id("stSidebar"), "Dataset", "my-digits")
    expect(page.get_by_text("your own digits, saved from the Draw page")).to_be_visible()
    if split == "test":
        page.locator(".st-key-explore_split").get_by_text("test", exact=True).click()
    expect(page.get_by_text(f"Your digit #{digit_id}, kept in the {split} split.")).to_be_visible()
    label = page.locator("[data-testid='stMetric']").filter(has_text="Label")
    expect(label.locator("[data-testid='stMetricValue']")).to_have_text("7")


def chart_of(page, measure: str):
    """The Vega-Lite chart plotting `measure`, found by its y axis.

    Streamlit draws Vega-Lite as SVG, and Vega labels every axis and legend for screen
    readers ("Y-axis titled 'loss' ...", "Symbol legend titled 'model' ..."): what a chart
    shows can be read from the page, not only seen.
    """
    return page.locator("[data-testid='stVegaLiteChart']").filter(
        has=page.locator(f"[aria-label^=\"Y-axis titled '{measure}'\"]")
    )


def model_legend(chart):
    return chart.locator("[aria-label^=\"Symbol legend titled 'model'\"]")


def grid_rows(page, column: str):
    """The rows of the st.dataframe with this column, from Glide's accessibility table.

    Glide paints the cells on a canvas; the table it keeps inside the canvas for screen
    readers holds the text (of the rows and columns in view).
    """
    header = page.locator("th", has_text=re.compile(rf"^{re.escape(column)}$"))
    table = page.locator("table[role=grid]").filter(has=header)
    return table.locator("tbody tr")


def select_cell(page, key: str, row: int, column: int, size: int) -> None:
    """Click a cell of a size x size st.dataframe with its index shown, by coordinates.

    The grid is a canvas: the click lands on the scroller above it, at the cell's centre,
    the index column and the header row counted in.
    """
    frame = page.locator(f".st-key-{key}")
    scroller = frame.locator(".dvn-scroller")
    scroller.scroll_into_view_if_needed()
    content_width = frame.locator(".dvn-stack > div").first.evaluate("e => e.getBoundingClientRect().width")
    header = frame.locator(".dvn-underlay canvas").nth(1).bounding_box()["height"]
    height = scroller.bounding_box()["height"]
    cell_width, cell_height = content_width / (size + 1), (height - header) / size
    scroller.click(position={"x": cell_width * (column + 1.5), "y": header + cell_height * (row + 0.5)})


def test_training_both_networks_races_their_curves_and_compares_them(page, app_url):
    """Both architectures in one run: a curve per model on one chart, then the Compare page.

    The lesson of the page is the race, so both runs must share a chart (one legend naming
    both), against epochs and against the clock. Last in the file: the models it saves
    become the newest, which the Draw tests' new sessions would otherwise read with.
    """
    open_page(page, app_url, "train")
    page.get_by_role("combobox", name="Architectures").click()
    page.get_by_role("option", name=CNN).click()
    page.keyboard.press("Escape")
    for title in (MLP, CNN):
        expect(page.get_by_role("button", name=f"Remove {title}")).to_be_visible()
    field = page.get_by_label("Epochs")
    field.fill("3")
    field.press("Enter")
    page.get_by_role("button", name="Start training").click()
    # The jobs take turns on the trainer: the CNN trains once the MLP is done.
    expect(page.get_by_text(re.compile(r"Training cnn on mnist-sample: epoch \d+ of 3"))).to_be_visible()
    link = page.get_by_role("link", name="Compare them side by side")
    expect(link).to_be_visible(timeout=180_000)
    page.wait_for_selector(IDLE)

    for measure in ("loss", "accuracy"):
        chart = chart_of(page, measure)
        expect(chart).to_have_count(1)
        expect(model_legend(chart)).to_have_attribute("aria-label", re.compile("with 2 values"))
        for title in (MLP, CNN):
            expect(model_legend(chart)).to_contain_text(title)
        # A line per model and split: both runs are drawn, not only named.
        expect(chart.locator("g.mark-line path")).to_have_count(4)
    expect(page.get_by_role("radiogroup", name="Curves against")).to_be_visible()
    expect(page.get_by_role("radio", name="epochs")).to_be_checked()
    page.get_by_role("radio", name="seconds").click()
    loss = chart_of(page, "loss")
    expect(loss.locator("[aria-label^=\"X-axis titled 'seconds since training began'\"]")).to_have_count(1)
    for title in (MLP, CNN):
        expect(model_legend(loss)).to_contain_text(title)

    trained = grid_rows(page, "error")
    expect(trained).to_have_count(2)
    expect(trained).to_contain_text([MLP, CNN])
    mlp, cnn = (row.locator("td").first.text_content() for row in trained.all())
    assert mlp.startswith("mlp-") and cnn.startswith("cnn-"), (mlp, cnn)

    link.click()
    expect(page).to_have_url(re.compile(r"/compare$"))
    expect(page.locator("h1").first).to_have_text("Compare models")
    # The page starts from the two models just trained, whatever else the folder holds.
    for name in (mlp, cnn):
        expect(page.get_by_role("button", name=re.compile(rf"^Remove {re.escape(name)} \("))).to_be_visible()
    expect(page.get_by_role("heading", name="In plain words")).to_be_visible()
    # Three epochs on the sample nearly always leave the CNN ahead; a tie is said as a tie.
    expect(
        page.get_by_role("listitem").filter(has_text=re.compile("fewer mistakes than|as many mistakes"))
    ).to_have_count(1)
    expect(page.get_by_role("tab")).to_have_text(
        [
            re.compile(rf"^{re.escape(mlp)} right, {re.escape(cnn)} wrong \(\d+\)$"),
            re.compile(rf"^{re.escape(cnn)} right, {re.escape(mlp)} wrong \(\d+\)$"),
            re.compile(r"^every model wrong \(\d+\)$"),
        ]
    )
    page.wait_for_selector(IDLE)
    select_cell(page, f"compare_confusion_{mlp}", row=2, column=3, size=10)
    expect(page.get_by_text(re.compile(r"^True 2, said 3:"))).to_be_visible()
