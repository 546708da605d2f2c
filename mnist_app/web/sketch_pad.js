// streamlit-drawable-canvas's own frontend, loaded from the URL Streamlit serves it at, with
// the 200 ms debounce taken out of the path from a lifted pen to the drawing sent (see
// canvas.py). The bundle is fetched and evaluated once per browser tab, whatever the number
// of canvases; should the text to change not be found, the bundle runs as shipped.
// What it sends is the drawing's PNG data URL alone, a string: the bundle would send its
// fabric.js scene beside it, nested as deep as the scene goes, which the app never reads.
const bundles = (globalThis.__mnistSketchPadBundles ??= new Map());
// Per canvas element, the bundle's own clean-up: Streamlit calls only the latest clean-up
// this function returned, which must dispose the canvas whichever call created it.
const canvases = new WeakMap();

function asModule(code) {
  return import(URL.createObjectURL(new Blob([code], { type: "text/javascript" })));
}

function loadBundle({ bundle, debounce, noDebounce }) {
  if (!bundles.has(bundle)) {
    const loading = fetch(bundle)
      .then((answer) => (answer.ok ? answer.text() : Promise.reject(new Error(`HTTP ${answer.status}`))))
      .then((code) => {
        if (code.includes(debounce)) return asModule(code.replace(debounce, noDebounce));
        console.warn("mnist_app sketch pad: the canvas bundle has no debounce to remove; drawing as shipped");
        return asModule(code);
      });
    // A failed load is tried again by the next canvas (after Clear), not kept for the tab's life.
    loading.catch(() => bundles.delete(bundle));
    bundles.set(bundle, loading);
  }
  return bundles.get(bundle);
}

function showFailure(element, error) {
  console.error("mnist_app sketch pad: cannot load the canvas", error);
  const root = element.querySelector(".canvas-root");
  if (root && !root.childElementCount) {
    root.textContent = "The canvas could not load. Reload the page, or press Clear to try again.";
  }
}

function sendingThePictureOnly(component) {
  return {
    ...component,
    setStateValue(name, value) {
      if (name === "drawing") component.setStateValue(name, typeof value?.data === "string" ? value.data : null);
    },
  };
}

export default function (component) {
  const element = component.parentElement;
  if (!canvases.has(element)) canvases.set(element, { cleanup: null, gone: false });
  const canvas = canvases.get(element);
  loadBundle(component.data.frontend)
    .then((bundle) => {
      if (!canvas.gone) canvas.cleanup = bundle.default(sendingThePictureOnly(component));
    })
    .catch((error) => showFailure(element, error));
  return () => {
    canvas.gone = true;
    canvas.cleanup?.();
    canvases.delete(element);
  };
}
