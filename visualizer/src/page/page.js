// The lesson page's script: lists the probes, steps a packet along a probe's hops on the
// topology, and shows each hop's headers layer by layer with what it rewrote. Every value
// comes decoded from the embedded lesson data (#lesson-data); nothing is parsed or fetched
// here. Text goes in with textContent only.
(function () {
  'use strict';

  var SVG_NS = 'http://www.w3.org/2000/svg';
  var data = JSON.parse(document.getElementById('lesson-data').textContent);
  var svg = document.getElementById('topology-svg');
  var probeList = document.getElementById('probe-list');
  var hopList = document.getElementById('hops');
  var detail = document.getElementById('hop-detail');
  var head = document.getElementById('probe-head');
  var position = document.getElementById('position');
  var back = document.getElementById('step-back');
  var forward = document.getElementById('step-forward');
  var state = { probe: -1, step: 0 };

  var nodeNames = {};
  data.nodes.forEach(function (n) { nodeNames[n.id] = n.name; });
  var linkNames = {};
  data.links.forEach(function (l) { linkNames[l.id] = l.name; });

  var packet = document.createElementNS(SVG_NS, 'circle');
  packet.setAttribute('id', 'packet');
  packet.setAttribute('r', '9');
  packet.setAttribute('class', 'hidden');
  svg.querySelector('g.overlay').appendChild(packet);

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  function nodeEl(id) { return document.getElementById('node-' + id); }
  function linkEl(id) { return document.getElementById('link-' + id); }

  function center(id) {
    var g = nodeEl(id);
    return g ? [Number(g.getAttribute('data-cx')), Number(g.getAttribute('data-cy'))] : null;
  }

  function translate(p) { return 'translate(' + p[0] + 'px, ' + p[1] + 'px)'; }

  // The fields that changed since the packet's previous sighting: those this hop changed,
  // or (upstream) those the node it came from changed as it sent it.
  function changedFields(hop, upstream) {
    var out = [];
    hop.layers.forEach(function (l) {
      l.fields.forEach(function (f) {
        if (f.was !== undefined && !!f.upstream === upstream) {
          out.push((l.depth > 0 ? 'inner ' : '') + l.name + ' ' + f.name + ': ' + f.was + ' → ' + f.value);
        }
      });
    });
    return out;
  }

  // The probe list.
  data.probes.forEach(function (p, i) {
    var li = el('li', 'probe outcome-' + p.outcome);
    li.setAttribute('data-index', String(i));
    var b = el('button', 'probe-button');
    b.type = 'button';
    b.appendChild(el('span', 'probe-id', '#' + p.id));
    b.appendChild(el('span', 'probe-route', p.from + ' → ' + p.to + ' ' + p.proto));
    b.appendChild(el('span', 'badge ' + p.outcome, p.outcome));
    b.title = p.exec ? '[' + p.step + '] ' + p.exec : '[' + p.step + '] probe ' + p.from + ' -> ' + p.to + ' ' + p.proto;
    b.addEventListener('click', function () { selectProbe(i); });
    li.appendChild(b);
    probeList.appendChild(li);
  });
  var failures = document.getElementById('failures');
  data.failures.forEach(function (f) { failures.appendChild(el('p', 'failure', f)); });

  function selectProbe(i) {
    if (i < 0 || i >= data.probes.length) { return; }
    state.probe = i;
    var p = data.probes[i];
    Array.prototype.forEach.call(probeList.children, function (li, k) {
      li.classList.toggle('selected', k === i);
    });
    // The probe's head: the lesson's words, the command, the outcome.
    head.textContent = '';
    p.notes.forEach(function (n) { head.appendChild(el('p', 'note', n)); });
    var route = el('p', 'route');
    route.appendChild(el('span', '', '[' + p.step + '] probe #' + p.id + ' ' + p.from + ' → ' + p.to + ' ' + p.proto + ': '));
    route.appendChild(el('span', 'badge ' + p.outcome, p.outcome));
    route.appendChild(el('span', '', ' (' + p.detail + ')'));
    head.appendChild(route);
    if (p.exec) { head.appendChild(el('p', 'exec', p.exec)); }
    if (p.drop) { head.appendChild(el('p', 'drop', 'dropped at ' + p.drop.node + ': ' + p.drop.why)); }
    // The hops, with the scheduled actions that ran among them.
    hopList.textContent = '';
    var events = p.events.slice();
    function eventsBefore(k) {
      while (events.length && events[0].before <= k) {
        var ev = events.shift();
        hopList.appendChild(el('li', 'event', ev.time + ' ' + ev.text));
      }
    }
    p.hops.forEach(function (h, k) {
      eventsBefore(k);
      var li = el('li', 'hop');
      li.setAttribute('data-hop', String(k));
      if (h.dropped) { li.classList.add('dropped'); }
      if ((h.notes.length && h.kind !== 'sent') || changedFields(h, false).length) { li.classList.add('rewrote'); }
      li.appendChild(el('span', 'hop-time', h.time + ' '));
      li.appendChild(el('span', 'hop-node', h.node_name + ' '));
      li.appendChild(el('span', 'hop-text', h.text));
      li.title = h.text;
      li.addEventListener('click', function () { setStep(k, false); });
      hopList.appendChild(li);
    });
    eventsBefore(Infinity);
    // Nodes and links that did not exist while this probe ran are faded.
    var named = {};
    p.hops.forEach(function (h) { named[h.node] = true; });
    data.nodes.forEach(function (n) {
      var g = nodeEl(n.id);
      if (g) { g.classList.toggle('absent', !named[n.id] && (i < n.seen[0] || i > n.seen[1])); }
    });
    data.links.forEach(function (l) {
      var e = linkEl(l.id);
      if (e) { e.classList.toggle('absent', i < l.seen[0] || i > l.seen[1]); }
    });
    state.step = 0;
    setStep(0, false);
  }

  function clearMarks() {
    Array.prototype.forEach.call(svg.querySelectorAll('.current, .visited, .dropped'), function (e) {
      if (e !== packet) { e.classList.remove('current', 'visited', 'dropped'); }
    });
  }

  function setStep(k, animate) {
    var p = data.probes[state.probe];
    if (!p) { return; }
    clearMarks();
    if (!p.hops.length) {
      position.textContent = 'no hops';
      back.disabled = true;
      forward.disabled = true;
      packet.setAttribute('class', 'hidden');
      detail.textContent = '';
      return;
    }
    k = Math.max(0, Math.min(k, p.hops.length - 1));
    state.step = k;
    for (var j = 0; j <= k; j++) {
      var seen = nodeEl(p.hops[j].node);
      if (seen) { seen.classList.add('visited'); }
      if (p.hops[j].came) {
        var l = linkEl(p.hops[j].came.link);
        if (l) { l.classList.add('visited'); }
      }
    }
    var h = p.hops[k];
    var g = nodeEl(h.node);
    if (g) {
      g.classList.add('current');
      if (h.dropped) { g.classList.add('dropped'); }
    }
    if (h.came) {
      var link = linkEl(h.came.link);
      if (link) { link.classList.add('current'); }
    }
    if (h.dropped_on !== null && h.dropped_on !== undefined) {
      var lost = linkEl(h.dropped_on);
      if (lost) { lost.classList.add('dropped'); }
    }
    Array.prototype.forEach.call(hopList.querySelectorAll('li.hop'), function (li) {
      var current = Number(li.getAttribute('data-hop')) === k;
      li.classList.toggle('current', current);
      if (current) { scrollHopIntoView(li); }
    });
    position.textContent = 'hop ' + (k + 1) + ' of ' + p.hops.length + ' · ' + h.time;
    back.disabled = k === 0;
    forward.disabled = k === p.hops.length - 1;
    movePacket(h, animate);
    showHop(p, k);
  }

  // Scrolls the hop list (only it, not the page) so that `li` shows.
  function scrollHopIntoView(li) {
    var top = li.offsetTop;
    var bottom = top + li.offsetHeight;
    if (top < hopList.scrollTop) {
      hopList.scrollTop = top;
    } else if (bottom > hopList.scrollTop + hopList.clientHeight) {
      hopList.scrollTop = bottom - hopList.clientHeight;
    }
  }

  function movePacket(h, animate) {
    if (typeof packet.getAnimations === 'function') {
      packet.getAnimations().forEach(function (a) { a.cancel(); });
    }
    var to = center(h.node);
    if (!to) {
      packet.setAttribute('class', 'hidden');
      return;
    }
    packet.setAttribute('class', h.dropped ? 'dropped' : '');
    packet.style.transform = translate(to);
    var from = h.came ? center(h.came.from) : null;
    if (animate && from && typeof packet.animate === 'function') {
      packet.animate([{ transform: translate(from) }, { transform: translate(to) }],
        { duration: 450, easing: 'ease-in-out' });
    }
  }

  function showHop(p, k) {
    var h = p.hops[k];
    detail.textContent = '';
    detail.appendChild(el('h3', '', 'Hop ' + (k + 1) + ' · ' + h.time + ' · ' + h.node_name));
    detail.appendChild(el('p', 'action kind-' + h.kind, h.text));
    if (h.dropped) { detail.appendChild(el('p', 'dropped', 'Dropped: ' + h.dropped)); }
    if (h.came) {
      detail.appendChild(el('p', 'came', 'Came over link ' + (linkNames[h.came.link] || '?') +
        ' from ' + (nodeNames[h.came.from] || '?') + '.'));
    }
    var here = changedFields(h, false).concat(h.kind === 'sent' ? [] : h.notes);
    var upstream = changedFields(h, true);
    var compared;
    if (h.before !== null && h.before !== undefined) {
      compared = 'Compared with hop ' + (h.before + 1) + ' at ' + p.hops[h.before].node_name + ': ' +
        (here.length || upstream.length ? 'rewritten on the way.' : 'nothing in its headers changed.');
    } else if (h.kind === 'sent') {
      compared = 'A new packet, built here.';
    } else {
      compared = 'The first time this packet shows in the trace.';
    }
    detail.appendChild(el('p', 'compared', compared));
    function changeList(title, items, cls) {
      if (!items.length) { return; }
      detail.appendChild(el('p', 'changes-title', title));
      var ul = el('ul', 'changes ' + cls);
      items.forEach(function (c) { ul.appendChild(el('li', '', c)); });
      detail.appendChild(ul);
    }
    if (upstream.length) {
      changeList('Changed as ' + (nodeNames[h.came.from] || 'the previous node') + ' sent it:', upstream, 'upstream');
    }
    changeList('Rewritten here:', here, 'here');
    if (h.kind === 'sent') { h.notes.forEach(function (n) { detail.appendChild(el('p', 'compared', n)); }); }
    h.layers.forEach(function (l) {
      var box = el('div', 'layer depth-' + Math.min(l.depth, 2) + (l.added ? ' added' : ''));
      box.setAttribute('data-layer', l.name);
      var title = el('h4', '', (l.depth > 0 ? 'inner ' : '') + l.name);
      if (l.added) { title.appendChild(el('span', 'new', 'added here')); }
      box.appendChild(title);
      var table = el('table');
      l.fields.forEach(function (f) {
        var tr = el('tr', f.was !== undefined ? (f.upstream ? 'changed upstream' : 'changed') : '');
        tr.appendChild(el('th', '', f.name));
        var td = el('td');
        td.appendChild(el('span', 'value', f.value));
        if (f.was !== undefined) { td.appendChild(el('del', '', f.was)); }
        tr.appendChild(td);
        table.appendChild(tr);
      });
      box.appendChild(table);
      detail.appendChild(box);
    });
    detail.appendChild(el('pre', 'wire', h.line));
  }

  back.addEventListener('click', function () { setStep(state.step - 1, false); });
  forward.addEventListener('click', function () { setStep(state.step + 1, true); });
  document.addEventListener('keydown', function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey) { return; }
    if (e.key === 'ArrowRight') { setStep(state.step + 1, true); } else if (e.key === 'ArrowLeft') { setStep(state.step - 1, false); } else if (e.key === 'ArrowDown') { selectProbe(state.probe + 1); } else if (e.key === 'ArrowUp') { selectProbe(state.probe - 1); } else { return; }
    e.preventDefault();
  });

  // A link can open the page at a probe and hop: lesson.html#probe=2&hop=4 (the probe's
  // number as the report gives it, hops counted from 1).
  function fromHash() {
    var want = {};
    location.hash.replace(/^#/, '').split('&').forEach(function (kv) {
      var parts = kv.split('=');
      want[parts[0]] = Number(parts[1]);
    });
    var i = data.probes.findIndex(function (p) { return p.id === want.probe; });
    return { probe: i < 0 ? 0 : i, hop: want.hop > 0 ? want.hop - 1 : 0 };
  }

  if (data.probes.length) {
    var start = fromHash();
    selectProbe(start.probe);
    if (start.hop) { setStep(start.hop, false); }
  } else {
    position.textContent = 'This scenario sends no probe.';
    back.disabled = true;
    forward.disabled = true;
  }
}());
