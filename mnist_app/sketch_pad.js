// streamlit-drawable-canvas's own frontend, loaded from the URL Streamlit serves it at, with
// the 200 ms debounce taken out of the path from a lifted pen to the drawing sent (see
// canvas.py). The bundle is fetched and evaluated once per browser tab, whatever the number
// of canvases; should the text to change not be found, the bundle runs as shipped.
const loaded = (globalThis.__mnistSketchPadBundles ??= new Map());

function loadBundle({ bundle, debounce, noDebounce }) {
  if (!loaded.has(bundle)) {
    const patched = fetch(bundle)
      .then((answer) => (answer.ok ? answer.text() : Promise.reject(new Error(`${answer.status}`))))
      .then((code) => {
        if (!code.includes(debounce)) {
          console.warn("mnist_app sketch pad: the canvas bundle has no debounce to remove; drawing as shipped");
          return import(bundle);
        }
        const source = new Blob([code.replace(debounce, noDebounce)], { type: "text/javascript" });
        return import(URL.createObjectURL(source));
      });
    loaded.set(bundle, patched);
  }
  return loaded.get(bundle);
}

export default function (component) {
  let cleanup = null;
  let unmounted = false;
  loadBundle(component.data.frontend).then(
    (canvas) => {
      if (!unmounted) cleanup = canvas.default(component);
    },
    (error) => console.error("mnist_app sketch pad: cannot load the canvas", error),
  );
  return () => {
    unmounted = true;
    cleanup?.();
  };
}
