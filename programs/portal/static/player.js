// The on-screen guide for an awareness exercise. Its cue times come from the page's
// data-timeline, the same timeline the downloadable MP3 is rendered from.
(function () {
  "use strict";
  var root = document.querySelector(".pc-player");
  if (!root) return;
  var line = JSON.parse(root.getAttribute("data-timeline"));
  var part = function (name) { return root.querySelector('[data-player="' + name + '"]'); };
  var cueText = part("cue"), count = part("count"), repetition = part("repetition");
  var progress = part("progress"), bar = progress.querySelector(".progress-bar");
  var startButton = part("start"), pauseButton = part("pause"), resetButton = part("reset");
  var tones = part("tones");
  // The same pitches as the MP3: higher to tighten, lower to let go.
  var pitch = { squeeze: 880, squeeze_cough: 880, quick: 988, hold: 740, relax: 440, rest: 440 };
  var elapsed = 0, running = false, last = null, current = -1, timer = null, audio = null;

  function beep(cue) {
    if (!tones.checked) return;
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    audio = audio || new Context();
    var oscillator = audio.createOscillator(), gain = audio.createGain(), now = audio.currentTime;
    oscillator.frequency.value = pitch[cue] || 587;
    gain.gain.setValueAtTime(0.0001, now);
    gain.gain.exponentialRampToValueAtTime(0.3, now + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + 0.25);
    oscillator.connect(gain).connect(audio.destination);
    oscillator.start(now);
    oscillator.stop(now + 0.26);
  }

  function show() {
    var index = 0;
    for (var i = 0; i < line.cues.length; i++) if (line.cues[i].start <= elapsed) index = i;
    var cue = line.cues[index];
    if (elapsed >= line.total) {
      cueText.textContent = root.getAttribute("data-label-done");
      count.textContent = "0";
      repetition.textContent = "";
    } else {
      if (index !== current) {
        current = index;
        cueText.textContent = cue.words;
        root.setAttribute("data-cue", cue.cue);
        repetition.textContent = cue.repetition
          ? root.getAttribute("data-label-repetition").replace("{n}", cue.repetition)
            .replace("{total}", cue.of) : "";
        if (running) beep(cue.cue);
      }
      count.textContent = String(Math.ceil(cue.start + cue.seconds - elapsed));
    }
    var done = Math.min(elapsed, line.total);
    bar.style.width = (100 * done / line.total) + "%";
    progress.setAttribute("aria-valuenow", String(Math.floor(done)));
  }

  function tick() {
    var now = performance.now();
    elapsed += (now - last) / 1000;
    last = now;
    if (elapsed >= line.total) stop(true);
    show();
  }

  function start() {
    if (elapsed >= line.total) reset();
    running = true;
    last = performance.now();
    current = -1;
    timer = window.setInterval(tick, 100);
    show();
    startButton.disabled = true;
    pauseButton.disabled = false;
    resetButton.disabled = false;
    pauseButton.focus();
  }

  function stop(finished) {
    running = false;
    window.clearInterval(timer);
    startButton.disabled = false;
    pauseButton.disabled = true;
    if (!finished) cueText.textContent = root.getAttribute("data-label-paused");
    var next = finished && elapsed >= line.total && document.getElementById(root.getAttribute("data-done-target") || "");
    if (next) {
      next.scrollIntoView({ block: "start" });
      next.focus();
    } else {
      startButton.focus();
    }
  }

  function reset() {
    if (running) stop(true);
    elapsed = 0;
    current = -1;
    cueText.textContent = root.getAttribute("data-label-ready");
    count.textContent = String(line.total);
    repetition.textContent = "";
    bar.style.width = "0%";
    progress.setAttribute("aria-valuenow", "0");
    resetButton.disabled = true;
  }

  startButton.addEventListener("click", start);
  pauseButton.addEventListener("click", function () { stop(false); });
  resetButton.addEventListener("click", reset);
})();
