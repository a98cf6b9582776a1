// steepest web lab: the page presents, the server computes.
//
// Every number shown here comes from the JSON API (see the user guide's web
// lab page, "The JSON API"): predictions, the 28x28 preprocessing, weights,
// activations, descent paths, the perceptron's table.  The page only draws
// them and sends what the user does.  Plain JavaScript as native ES modules:
// no build step, no framework, nothing from the internet.
//
// This module starts the page.  The rest lives in js/, one module per tab
// (draw, inside, train, descent, perceptron, mistakes) and a few they share:
// api (the requests and their errors), messages (plain words for them, and the
// error boxes), page (elements, numbers), state, tabs, model (the header), pad
// and padkeys (the drawing canvas, by pointer and by keys), pictures, charts,
// colours (style.css's plot colours), events (the event stream), contour, and
// the Train tab's train-form, train-progress, train-pace and train-served.

import { api } from "./js/api.js";
import { clearPad, loadPixels } from "./js/draw.js";
import "./js/inside.js";
import { restoreTraining } from "./js/train.js";
import { drawCurves } from "./js/train-progress.js";
import "./js/descent.js";
import "./js/perceptron.js";
import "./js/mistakes.js";
import { refreshModel } from "./js/model.js";
import { state } from "./js/state.js";
import { selectTab, showInitialTab } from "./js/tabs.js";

clearPad();
drawCurves();
refreshModel();
restoreTraining();
window.lab = { state, api, loadPixels, selectTab }; // for the curious, and for the browser tests
showInitialTab();
