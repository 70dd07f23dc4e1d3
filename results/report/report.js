// runner report: draws the sweeps of report-data (written by `runner report`) with Vega.
// Every string from the database reaches the page as text (textContent, or Vega's SVG text and
// titles), never as HTML. Errors are shown in #errors, where the tests look for them.
'use strict';
(function () {
  const errorBox = document.getElementById('errors');
  function reportError(e) {
    errorBox.appendChild(document.createTextNode('error: ' + String(e && e.message || e) + '\n'));
  }
  window.addEventListener('error', (ev) => reportError(ev.message));
  window.addEventListener('unhandledrejection', (ev) => reportError(ev.reason));

  // Every chart's rendering; once all are done, <html data-charts="rendered N of M"> says so.
  const rendering = [];
  const K_BEST = 5;        // trials highlighted in learning curves and opened in the gallery
  const HEATMAP_ROWS = 100; // trials in the per-class heatmap (the best ones)
  const STATUSES = ['pending', 'running', 'interrupted', 'completed', 'pruned', 'failed', 'stale'];
  const STATUS_COLORS = ['#bbb', '#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#d62728', '#8c564b'];

  // An element with attributes and children; strings become text nodes.
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    for (const c of children) e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    return e;
  }
  function fmt(v) {
    if (v === null || v === undefined) return '-';
    if (typeof v === 'number') {
      if (!isFinite(v)) return String(v);
      const a = Math.abs(v);
      return a !== 0 && (a >= 1e5 || a < 1e-3) ? v.toExponential(3) : String(+v.toPrecision(4));
    }
    return typeof v === 'string' ? v : JSON.stringify(v);
  }
  function at(config, dotted) {
    let v = config;
    for (const part of dotted.split('.')) v = v === null || v === undefined ? undefined : v[part];
    return v;
  }
  const isNum = (v) => typeof v === 'number' && isFinite(v);

  function chart(parent, spec, title) {
    const box = el('div', {class: 'chart'});
    if (title) box.appendChild(el('h3', {}, title));
    const target = el('div');
    box.appendChild(target);
    parent.appendChild(box);
    spec.$schema = 'https://vega.github.io/schema/vega/v5.json';
    spec.padding = spec.padding || 5;
    rendering.push(new vega.View(vega.parse(spec), {renderer: 'svg', container: target, hover: true})
      .runAsync().then(() => 1, (e) => { reportError(e); return 0; }));
    return box;
  }
  function note(parent, text) { parent.appendChild(el('p', {class: 'note'}, text)); }

  // A parameter's values: numeric (with a log scale when they span 100x) or categorical labels.
  function describeParam(trials, key) {
    const values = trials.map((t) => at(t.config, key)).filter((v) => v !== undefined);
    if (values.length && values.every(isNum)) {
      const lo = Math.min(...values), hi = Math.max(...values);
      return {key, numeric: true, lo, hi, log: lo > 0 && hi / lo >= 100};
    }
    const labels = [...new Set(values.map(fmt))].sort();
    return {key, numeric: false, labels};
  }
  // Where a value sits on its axis, 0..1.
  function position(p, v) {
    if (p.numeric) {
      if (!isNum(v) || p.hi === p.lo) return 0.5;
      return p.log ? Math.log(v / p.lo) / Math.log(p.hi / p.lo) : (v - p.lo) / (p.hi - p.lo);
    }
    const i = p.labels.indexOf(fmt(v));
    return p.labels.length > 1 ? i / (p.labels.length - 1) : 0.5;
  }
  function ticks(p) {
    if (!p.numeric) return p.labels.map((l) => ({label: l, y: position(p, l)}));
    const n = p.hi === p.lo ? 1 : 5, out = [];
    for (let i = 0; i < n; ++i) {
      const f = n === 1 ? 0.5 : i / (n - 1);
      const v = p.log ? p.lo * Math.pow(p.hi / p.lo, f) : p.lo + f * (p.hi - p.lo);
      out.push({label: fmt(v), y: f});
    }
    return out;
  }
  function xScale(p, name) {
    return p.numeric ? {name, type: p.log ? 'log' : 'linear', domain: [p.lo, p.hi], range: 'width',
                        nice: !p.log, zero: false}
                     : {name, type: 'point', domain: p.labels, range: 'width', padding: 0.5};
  }

  function renderSweep(root, sweep) {
    const section = el('section', {class: 'sweep'});
    root.appendChild(section);
    section.appendChild(el('h2', {}, 'sweep ' + sweep.name));
    const trials = sweep.trials;
    for (const t of trials) t.final = t.final || {};
    const finals = [...new Set(trials.flatMap((t) => Object.keys(t.final)))].sort();
    const seriesNames = [...new Set(sweep.series.map((s) => s[1]))].sort();
    const params = sweep.varied.map((k) => describeParam(trials, k));

    summary(section, sweep, trials);
    if (sweep.search) searchCharts(section, sweep);
    const state = {
      metric: finals.includes('recon_mse') ? 'recon_mse' : finals[0],
      series: seriesNames.includes('test_recon_mse') ? 'test_recon_mse' : seriesNames[0],
    };
    state.lower = !/accuracy/.test(state.metric || '');
    trialTable(section, trials, sweep.varied, finals.filter((f) => !/_class_\d+$/.test(f)));

    const controls = el('div', {class: 'controls'});
    section.appendChild(controls);
    const dependent = el('div');
    section.appendChild(dependent);
    const draw = () => {
      dependent.textContent = '';
      byMetric(dependent, sweep, trials, params, finals, state);
    };
    if (finals.length) {
      controls.appendChild(select('metric', finals, state.metric, (v) => {
        state.metric = v;
        state.lower = !/accuracy/.test(v);
        draw();
      }));
      controls.appendChild(select('better', ['lower', 'higher'], 'lower', (v) => {
        state.lower = v === 'lower';
        draw();
      }, () => (state.lower ? 'lower' : 'higher')));
    }
    if (seriesNames.length) {
      controls.appendChild(select('learning curve of', seriesNames, state.series, (v) => {
        state.series = v;
        draw();
      }));
    }
    draw();
    const fixed = el('div', {class: 'charts'});
    section.appendChild(fixed);
    metricGrid(section, trials, params, finals.filter((f) => !/_class_\d+$/.test(f)));
    betaSeries(fixed, sweep);
    timeline(fixed, trials);
    rungs(fixed, sweep);
  }

  function select(label, options, value, onChange, current) {
    const s = el('select', {});
    for (const o of options) s.appendChild(el('option', {value: o}, o));
    s.value = value;
    s.addEventListener('change', () => onChange(s.value));
    if (current) s.addEventListener('focus', () => { s.value = current(); });
    return el('label', {}, label + ' ', s);
  }

  function summary(section, sweep, trials) {
    const counts = STATUSES.map((s) => ({status: s, count: trials.filter((t) => t.status === s).length}));
    const finished = trials.filter((t) => ['completed', 'pruned', 'failed'].includes(t.status)).length;
    const pct = trials.length ? Math.round(100 * finished / trials.length) : 0;
    section.appendChild(el('p', {class: 'meta'}, `${finished} of ${trials.length} trials finished (${pct}%); ` +
      counts.filter((c) => c.count).map((c) => `${c.count} ${c.status}`).join(', ') +
      (sweep.varied.length ? '; varied: ' + sweep.varied.join(', ') : '')));
    const box = el('div', {class: 'charts'});
    section.appendChild(box);
    chart(box, {
      width: 320, height: 150,
      data: [{name: 'counts', values: counts}],
      scales: [
        {name: 'y', type: 'band', domain: STATUSES, range: 'height', padding: 0.15},
        {name: 'x', type: 'linear', domain: {data: 'counts', field: 'count'}, range: 'width', nice: true},
        {name: 'color', type: 'ordinal', domain: STATUSES, range: STATUS_COLORS},
      ],
      axes: [{orient: 'left', scale: 'y'}, {orient: 'bottom', scale: 'x', tickMinStep: 1, title: 'trials'}],
      marks: [{type: 'rect', from: {data: 'counts'}, encode: {enter: {
        y: {scale: 'y', field: 'status'}, height: {scale: 'y', band: 1},
        x: {scale: 'x', value: 0}, x2: {scale: 'x', field: 'count'},
        fill: {scale: 'color', field: 'status'}, tooltip: {signal: "datum.status + ': ' + datum.count"}}}}],
    }, 'trials by status');
  }

  function trialTable(section, trials, varied, finals) {
    section.appendChild(el('h3', {}, 'trials (click a column to sort)'));
    const columns = [
      {title: 'id', value: (t) => t.id, text: true},
      {title: 'status', value: (t) => t.status, text: true, status: true},
      ...varied.map((k) => ({title: k, value: (t) => at(t.config, k)})),
      ...finals.map((f) => ({title: f, value: (t) => t.final[f]})),
      {title: 'attempts', value: (t) => t.attempts},
      {title: 'host', value: (t) => t.host, text: true},
      {title: 'error', value: (t) => t.error, error: true},
    ];
    const table = el('table', {class: 'trials'});
    const head = el('tr');
    const body = el('tbody');
    let sortBy = -1, ascending = true;
    const fill = () => {
      const rows = trials.slice();
      if (sortBy >= 0) {
        const v = columns[sortBy].value;
        rows.sort((a, b) => {
          const x = v(a), y = v(b);
          if (x === y) return 0;
          if (x === null || x === undefined) return 1;
          if (y === null || y === undefined) return -1;
          const c = isNum(x) && isNum(y) ? x - y : fmt(x).localeCompare(fmt(y));
          return ascending ? c : -c;
        });
      }
      body.textContent = '';
      for (const t of rows) {
        const tr = el('tr');
        for (const c of columns) {
          const cls = c.error ? 'error' : c.text ? 'text' + (c.status ? ' status-' + t.status : '') : '';
          tr.appendChild(el('td', cls ? {class: cls} : {}, fmt(c.value(t))));
        }
        body.appendChild(tr);
      }
    };
    columns.forEach((c, i) => {
      const th = el('th', {}, c.title);
      th.addEventListener('click', () => {
        ascending = sortBy === i ? !ascending : true;
        sortBy = i;
        fill();
      });
      head.appendChild(th);
    });
    table.appendChild(el('thead', {}, head));
    table.appendChild(body);
    fill();
    section.appendChild(el('div', {style: 'overflow-x: auto'}, table));
  }

  // The trials with the metric, best first.
  function ranked(trials, state) {
    const scored = trials.filter((t) => isNum(t.final[state.metric]));
    scored.sort((a, b) => (state.lower ? 1 : -1) * (a.final[state.metric] - b.final[state.metric]));
    return scored;
  }

  function byMetric(parent, sweep, trials, params, finals, state) {
    const box = el('div', {class: 'charts'});
    parent.appendChild(box);
    const best = ranked(trials, state);
    if (!state.metric) note(box, 'no trial has final metrics yet');
    else parallel(box, best, params, state);
    curves(box, sweep, best, state);
    perClass(box, best, finals);
    gallery(parent, trials, best, sweep.varied, state);
  }

  function parallel(box, scored, params, state) {
    if (!scored.length || !params.length) {
      note(box, 'parallel coordinates: ' + (scored.length ? 'no parameter varies' : 'no trial has ' + state.metric));
      return;
    }
    const metric = describeParam(scored.map((t) => ({config: {m: t.final[state.metric]}})), 'm');
    const dims = [...params, Object.assign({}, metric, {key: state.metric})];
    const rows = [], tickRows = [];
    for (const t of scored)
      dims.forEach((p, i) => {
        const v = i < params.length ? at(t.config, p.key) : t.final[state.metric];
        rows.push({trial: t.id, i, dim: p.key, y: position(p, v), metric: t.final[state.metric], label: fmt(v)});
      });
    for (const p of dims) for (const tk of ticks(p)) tickRows.push(Object.assign({dim: p.key}, tk));
    chart(box, {
      width: Math.max(300, 140 * dims.length), height: 260, padding: {left: 10, right: 60, top: 25, bottom: 10},
      data: [{name: 'rows', values: rows}, {name: 'ticks', values: tickRows},
             {name: 'dims', values: dims.map((p) => ({dim: p.key}))}],
      scales: [
        {name: 'x', type: 'point', domain: dims.map((p) => p.key), range: 'width', padding: 0.2},
        {name: 'y', type: 'linear', domain: [0, 1], range: 'height'},
        {name: 'color', type: 'linear', domain: {data: 'rows', field: 'metric'}, range: {scheme: 'viridis'},
         reverse: !state.lower},
      ],
      legends: [{stroke: 'color', title: state.metric, type: 'gradient'}],
      marks: [
        {type: 'rule', from: {data: 'dims'}, encode: {enter: {x: {scale: 'x', field: 'dim'}, y: {value: 0},
          y2: {signal: 'height'}, stroke: {value: '#999'}}}},
        {type: 'group', from: {facet: {name: 'line', data: 'rows', groupby: 'trial'}}, marks: [
          {type: 'line', from: {data: 'line'}, sort: {field: 'datum.i'}, encode: {enter: {
            x: {scale: 'x', field: 'dim'}, y: {scale: 'y', field: 'y'}, stroke: {scale: 'color', field: 'metric'},
            strokeWidth: {value: 1.5}, strokeOpacity: {value: 0.8},
            tooltip: {signal: "datum.trial + ': ' + datum.dim + ' = ' + datum.label"}}}}]},
        {type: 'text', from: {data: 'ticks'}, encode: {enter: {x: {scale: 'x', field: 'dim', offset: 4},
          y: {scale: 'y', field: 'y'}, text: {field: 'label'}, fontSize: {value: 10}, baseline: {value: 'middle'}}}},
        {type: 'text', from: {data: 'dims'}, encode: {enter: {x: {scale: 'x', field: 'dim'}, y: {value: -10},
          text: {field: 'dim'}, align: {value: 'center'}, fontWeight: {value: 'bold'}}}},
      ],
    }, 'parallel coordinates: varied parameters and ' + state.metric);
  }

  function curves(box, sweep, best, state) {
    if (!state.series) return;
    const top = new Map(best.slice(0, K_BEST).map((t, i) => [t.id, i + 1]));
    const rows = sweep.series.filter((s) => s[1] === state.series && isNum(s[3]))
      .map(([trial, , epoch, value]) => ({trial, epoch, value, best: top.has(trial) ? 1 : 0,
                                           label: top.has(trial) ? '#' + top.get(trial) + ' ' + trial : trial}));
    if (!rows.length) return note(box, 'no epoch has ' + state.series);
    chart(box, {
      width: 420, height: 260,
      data: [{name: 'rows', values: rows},
             {name: 'best', source: 'rows', transform: [{type: 'filter', expr: 'datum.best'}]}],
      scales: [
        {name: 'x', type: 'linear', domain: {data: 'rows', field: 'epoch'}, range: 'width', nice: false},
        {name: 'y', type: 'linear', domain: {data: 'rows', field: 'value'}, range: 'height', zero: false, nice: true},
        {name: 'color', type: 'ordinal', domain: {data: 'best', field: 'label', sort: true}, range: 'category'},
      ],
      axes: [{orient: 'bottom', scale: 'x', title: 'epoch', tickMinStep: 1}, {orient: 'left', scale: 'y', title: state.series}],
      legends: top.size ? [{stroke: 'color', title: 'best ' + top.size + ' by ' + state.metric}] : [],
      marks: [
        {type: 'group', from: {facet: {name: 'other', data: 'rows', groupby: 'trial'}}, marks: [
          {type: 'line', from: {data: 'other'}, sort: {field: 'datum.epoch'}, encode: {enter: {
            x: {scale: 'x', field: 'epoch'}, y: {scale: 'y', field: 'value'}, stroke: {value: '#ccc'},
            strokeWidth: {value: 1}, tooltip: {signal: "datum.trial + ': ' + format(datum.value, '.4g')"}}}}]},
        {type: 'group', from: {facet: {name: 'top', data: 'best', groupby: 'trial'}}, marks: [
          {type: 'line', from: {data: 'top'}, sort: {field: 'datum.epoch'}, encode: {enter: {
            x: {scale: 'x', field: 'epoch'}, y: {scale: 'y', field: 'value'},
            stroke: {scale: 'color', field: 'label'}, strokeWidth: {value: 2.5},
            tooltip: {signal: "datum.label + ': ' + format(datum.value, '.4g')"}}}}]},
      ],
    }, 'learning curves: ' + state.series + ' (the best ' + K_BEST + ' by ' + (state.metric || '-') + ' in colour)');
  }

  function perClass(box, best, finals) {
    const classes = finals.filter((f) => /^recon_mse_class_\d+$/.test(f));
    if (!classes.length || !best.length) return;
    const shown = best.slice(0, HEATMAP_ROWS);
    const rows = [];
    for (const t of shown)
      for (const c of classes)
        if (isNum(t.final[c])) rows.push({trial: t.id, digit: c.replace('recon_mse_class_', ''), value: t.final[c]});
    chart(box, {
      width: 260, height: Math.max(60, 14 * shown.length),
      data: [{name: 'rows', values: rows}],
      scales: [
        {name: 'x', type: 'band', domain: classes.map((c) => c.replace('recon_mse_class_', '')), range: 'width'},
        {name: 'y', type: 'band', domain: shown.map((t) => t.id), range: 'height'},
        {name: 'color', type: 'linear', domain: {data: 'rows', field: 'value'}, range: {scheme: 'orangered'}},
      ],
      axes: [{orient: 'bottom', scale: 'x', title: 'digit'}, {orient: 'left', scale: 'y'}],
      legends: [{fill: 'color', title: 'recon MSE', type: 'gradient'}],
      marks: [{type: 'rect', from: {data: 'rows'}, encode: {enter: {
        x: {scale: 'x', field: 'digit'}, width: {scale: 'x', band: 1}, y: {scale: 'y', field: 'trial'},
        height: {scale: 'y', band: 1}, fill: {scale: 'color', field: 'value'},
        tooltip: {signal: "datum.trial + ', digit ' + datum.digit + ': ' + format(datum.value, '.4g')"}}}}],
    }, 'reconstruction error per digit (rows: trials, best first)');
  }

  function metricGrid(section, trials, params, finals) {
    if (!params.length || !finals.length) return;
    section.appendChild(el('h3', {}, 'each final metric against each varied parameter'));
    const grid = el('div', {class: 'charts'});
    section.appendChild(grid);
    for (const m of finals)
      for (const p of params) {
        const rows = trials.filter((t) => isNum(t.final[m]) && at(t.config, p.key) !== undefined)
          .map((t) => ({x: p.numeric ? at(t.config, p.key) : fmt(at(t.config, p.key)), y: t.final[m],
                        status: t.status, trial: t.id}));
        if (!rows.length) continue;
        chart(grid, {
          width: 200, height: 140,
          data: [{name: 'rows', values: rows}],
          scales: [xScale(p, 'x'),
                   {name: 'y', type: 'linear', domain: {data: 'rows', field: 'y'}, range: 'height', zero: false, nice: true},
                   {name: 'color', type: 'ordinal', domain: STATUSES, range: STATUS_COLORS}],
          axes: [{orient: 'bottom', scale: 'x', title: p.key, labelOverlap: true},
                 {orient: 'left', scale: 'y', title: m, tickCount: 4}],
          marks: [{type: 'symbol', from: {data: 'rows'}, encode: {enter: {
            x: {scale: 'x', field: 'x'}, y: {scale: 'y', field: 'y'}, fill: {scale: 'color', field: 'status'},
            size: {value: 40}, opacity: {value: 0.8},
            tooltip: {signal: "datum.trial + ': ' + format(datum.y, '.4g')"}}}}],
        });
      }
  }

  function betaSeries(box, sweep) {
    const rows = sweep.series.filter((s) => s[1] === 'beta' && isNum(s[3]))
      .map(([trial, , epoch, value]) => ({trial, epoch, value}));
    if (!rows.length) return;
    chart(box, {
      width: 360, height: 180,
      data: [{name: 'rows', values: rows}],
      scales: [
        {name: 'x', type: 'linear', domain: {data: 'rows', field: 'epoch'}, range: 'width'},
        {name: 'y', type: 'linear', domain: {data: 'rows', field: 'value'}, range: 'height', nice: true},
        {name: 'color', type: 'ordinal', domain: {data: 'rows', field: 'trial'}, range: 'category'},
      ],
      axes: [{orient: 'bottom', scale: 'x', title: 'epoch', tickMinStep: 1}, {orient: 'left', scale: 'y', title: 'beta'}],
      marks: [{type: 'group', from: {facet: {name: 'one', data: 'rows', groupby: 'trial'}}, marks: [
        {type: 'line', from: {data: 'one'}, sort: {field: 'datum.epoch'}, encode: {enter: {
          x: {scale: 'x', field: 'epoch'}, y: {scale: 'y', field: 'value'}, stroke: {scale: 'color', field: 'trial'},
          interpolate: {value: 'step-after'}, tooltip: {signal: "datum.trial + ': ' + format(datum.value, '.3g')"}}}}]}],
    }, 'beta of the KL schedules, per epoch');
  }

  function timeline(box, trials) {
    const end = Date.parse(data.generated);
    const rows = trials.filter((t) => t.started).map((t) => ({
      trial: t.id, status: t.status, start: Date.parse(t.started),
      end: Math.max(Date.parse(t.started) + 1000, t.ended && t.status !== 'running' ? Date.parse(t.ended) : end),
      lane: (t.host || '?') + ' · rank ' + (t.ranks && t.ranks.length ? t.ranks.join(',') : '?'),
    }));
    if (!rows.length) return;
    const lanes = [...new Set(rows.map((r) => r.lane))].sort();
    chart(box, {
      width: 480, height: Math.max(60, 22 * lanes.length),
      data: [{name: 'rows', values: rows}],
      scales: [
        {name: 'x', type: 'time', domain: {data: 'rows', fields: ['start', 'end']}, range: 'width'},
        {name: 'y', type: 'band', domain: lanes, range: 'height', padding: 0.2},
        {name: 'color', type: 'ordinal', domain: STATUSES, range: STATUS_COLORS},
      ],
      axes: [{orient: 'bottom', scale: 'x', title: 'time (UTC)', labelOverlap: true}, {orient: 'left', scale: 'y'}],
      legends: [{fill: 'color', title: 'status'}],
      marks: [{type: 'rect', from: {data: 'rows'}, encode: {enter: {
        x: {scale: 'x', field: 'start'}, x2: {scale: 'x', field: 'end'}, y: {scale: 'y', field: 'lane'},
        height: {scale: 'y', band: 1}, fill: {scale: 'color', field: 'status'}, stroke: {value: 'white'},
        tooltip: {signal: "datum.trial + ' (' + datum.status + ')'"}}}}],
    }, 'timeline: trials per group root (rank and host); the latest attempt of each');
  }

  function rungs(box, sweep) {
    const rows = sweep.decisions.filter((d) => isNum(d[3]))
      .map(([trial, epoch, rule, value, decision]) => ({trial, epoch, rule, value, decision}));
    if (!rows.length) return;
    const pruned = sweep.trials.filter((t) => t.status === 'pruned').length;
    chart(box, {
      width: 320, height: 200,
      data: [{name: 'rows', values: rows}],
      scales: [
        {name: 'x', type: 'point', domain: {data: 'rows', field: 'epoch', sort: true}, range: 'width', padding: 0.5},
        {name: 'y', type: 'linear', domain: {data: 'rows', field: 'value'}, range: 'height', zero: false, nice: true},
        {name: 'color', type: 'ordinal', domain: ['continue', 'stop'], range: ['#2ca02c', '#9467bd']},
      ],
      axes: [{orient: 'bottom', scale: 'x', title: 'epoch (rung)'}, {orient: 'left', scale: 'y', title: 'value judged'}],
      legends: [{fill: 'color', title: 'decision'}],
      marks: [{type: 'symbol', from: {data: 'rows'}, encode: {enter: {
        x: {scale: 'x', field: 'epoch'}, y: {scale: 'y', field: 'value'}, fill: {scale: 'color', field: 'decision'},
        size: {value: 50}, opacity: {value: 0.8},
        tooltip: {signal: "datum.trial + ' at epoch ' + datum.epoch + ': ' + datum.decision"}}}}],
    }, 'early stopping: decisions at each rung (' + pruned + ' trials pruned)');
  }

  // [sweep.search]: best so far against trials, the Pareto front, each key's proposals over time
  // and, with early stopping, the epoch each trial reached.
  function searchCharts(section, sweep) {
    const s = sweep.search, byId = new Map(sweep.trials.map((t) => [t.id, t]));
    const front = new Set(s.front);
    const rows = s.proposals.map(([n, id, sampler, part, epochs]) => {
      const t = byId.get(id) || {final: {}, config: {}};
      return {n, id, sampler, part, epochs: epochs || 0, status: t.status, t};
    });
    const box = el('div', {class: 'charts'});
    section.appendChild(el('h3', {}, `search (${s.sampler}, ${s.trials} trials for each of ${s.parts} part(s)): ` +
      s.objectives.map((o) => o.metric + ' (' + o.mode + ')').join(', ') +
      (s.constraints.length ? '; constraints ' + s.constraints.join(', ') : '')));
    section.appendChild(box);
    bestSoFar(box, rows, s.objectives[0], front);
    if (s.objectives.length >= 2) paretoFront(box, rows, s.objectives, front);
    for (const key of s.space) proposalsOf(box, rows, key);
    if (rows.some((r) => r.status === 'pruned')) rungReached(box, rows);
    if (s.sampler === 'pbt') populationCharts(box, sweep, s);
  }

  // Lines of `values` ({x, y, line} rows), one per `line`, against `xTitle`; `opts`: yTitle,
  // yType, step (step-after lines), width (a strokeWidth signal), tooltip, legend, rules (extra
  // {x, y, x2, y2, tip} segments, dashed).
  function lines(box, values, xTitle, opts, title) {
    chart(box, {
      width: 360, height: opts.height || 200,
      data: [{name: 'rows', values}, {name: 'rules', values: opts.rules || []}],
      scales: [
        {name: 'x', type: 'linear', domain: {data: 'rows', field: 'x'}, range: 'width'},
        {name: 'y', type: opts.yType || 'linear', domain: {data: 'rows', field: 'y'}, range: 'height', zero: false, nice: true},
        {name: 'color', type: 'ordinal', domain: {data: 'rows', field: 'line'}, range: 'category'},
      ],
      axes: [{orient: 'bottom', scale: 'x', title: xTitle, tickMinStep: 1}, {orient: 'left', scale: 'y', title: opts.yTitle}],
      legends: opts.legend ? [{stroke: 'color', title: opts.legend}] : [],
      marks: [
        {type: 'group', from: {facet: {name: 'one', data: 'rows', groupby: 'line'}}, marks: [
          {type: 'line', from: {data: 'one'}, sort: {field: 'datum.x'}, encode: {enter: {
            x: {scale: 'x', field: 'x'}, y: {scale: 'y', field: 'y'}, stroke: {scale: 'color', field: 'line'},
            interpolate: {value: opts.step ? 'step-after' : 'linear'}, strokeWidth: {signal: opts.width || '1.5'},
            tooltip: {signal: opts.tooltip || "datum.line + ': ' + format(datum.y, '.4g')"}}}}]},
        {type: 'rule', from: {data: 'rules'}, encode: {enter: {
          x: {scale: 'x', field: 'x'}, y: {scale: 'y', field: 'y'}, x2: {scale: 'x', field: 'x2'}, y2: {scale: 'y', field: 'y2'},
          stroke: {value: '#333'}, strokeDash: {value: [4, 3]}, tooltip: {field: 'tip'}}}},
      ],
    }, title);
  }

  // Population-based training: who took whose weights when, the schedule each member followed,
  // and the best member's whole schedule (the epochs of its lineage, as runner export --replay).
  function populationCharts(box, sweep, s) {
    const objective = s.objectives[0], sign = objective.mode === 'max' ? -1 : 1, last = new Map();
    const at = (id, epoch, name) => (sweep.series.find((x) => x[0] === id && x[2] === epoch && x[1] === name) || [])[3];
    for (const [id, name, epoch, value] of sweep.series)
      if (name === objective.metric && isNum(value) && !(last.has(id) && last.get(id).epoch > epoch)) last.set(id, {epoch, value});
    const best = [...last.entries()].sort((a, b) => sign * (a[1].value - b[1].value)).map((e) => e[0])[0];
    if (!best) return;
    const rules = sweep.exploits.map(([id, epoch, source, sourceEpoch]) => ({x: sourceEpoch, y: at(source, sourceEpoch, objective.metric),
      x2: epoch + 1, y2: at(id, epoch + 1, objective.metric), tip: `${id} took ${source} (epoch ${sourceEpoch}) after epoch ${epoch}`}))
      .filter((r) => isNum(r.y) && isNum(r.y2));
    const series = (name) => sweep.series.filter((x) => x[1] === name && isNum(x[3])).map(([id, , epoch, value]) => ({x: epoch, y: value, line: id}));
    lines(box, series(objective.metric), 'epoch', {yTitle: objective.metric, rules, height: 240},
      `lineage: each member's ${objective.metric}; dashed, a member taking another's weights`);
    for (const key of s.space)
      lines(box, series(key), 'epoch', {yTitle: key, yType: key === 'train.lr' ? 'log' : 'linear', step: true,
        width: `datum.line === '${best}' ? 3 : 1`}, `${key} each member trained with (the best, ${best}, thick)`);
    // Its lineage, as results::lineage_of walks it: back from the best through each exploit.
    const segments = [];
    let id = best, until = Math.max(...sweep.series.filter((x) => x[0] === best).map((x) => x[2])) + 1;
    for (let guard = 0; guard < 1000; ++guard) {
      const taken = sweep.exploits.filter((e) => e[0] === id && e[1] < until).sort((a, b) => b[1] - a[1])[0];
      segments.unshift({id, from: taken ? taken[1] + 1 : 1, to: until - 1});
      if (!taken) break;
      [id, until] = [taken[2], taken[3] + 1];
    }
    const rows = [];
    let n = 0;
    for (const seg of segments)
      for (let e = seg.from; e <= seg.to; ++e, ++n)
        for (const key of s.space) rows.push({x: n + 1, y: at(seg.id, e, key), line: key, member: seg.id});
    lines(box, rows.filter((r) => isNum(r.y)), 'epoch of the lineage', {yTitle: 'value', yType: 'log', step: true, legend: 'key',
      tooltip: "datum.line + ' = ' + format(datum.y, '.4g') + ' (' + datum.member + ')'"},
      "the best member's whole schedule: " + segments.map((g) => `${g.id} ${g.from}-${g.to}`).join(', then '));
  }

  function bestSoFar(box, rows, objective, front) {
    const sign = objective.mode === 'max' ? -1 : 1, best = new Map(), points = [];
    for (const r of rows) {
      const v = r.t.final[objective.metric];
      if (!isNum(v) || !['completed', 'pruned'].includes(r.status)) continue;
      const b = best.has(r.part) && sign * best.get(r.part) <= sign * v ? best.get(r.part) : v;
      best.set(r.part, b);
      points.push({n: r.n, value: v, best: b, sampler: r.sampler, part: r.part.slice(0, 8),
                   trial: r.id, front: front.has(r.id) ? 'front' : 'other'});
    }
    if (!points.length) return;
    chart(box, {
      width: 360, height: 220,
      data: [{name: 'rows', values: points}],
      scales: [
        {name: 'x', type: 'linear', domain: {data: 'rows', field: 'n'}, range: 'width'},
        {name: 'y', type: 'linear', domain: {data: 'rows', fields: ['value', 'best']}, range: 'height', zero: false, nice: true},
        {name: 'color', type: 'ordinal', domain: ['random', 'tpe'], range: ['#aaa', '#1f77b4']},
      ],
      axes: [{orient: 'bottom', scale: 'x', title: 'proposal', tickMinStep: 1}, {orient: 'left', scale: 'y', title: objective.metric}],
      legends: [{fill: 'color', title: 'proposed by'}],
      marks: [
        {type: 'group', from: {facet: {name: 'one', data: 'rows', groupby: 'part'}}, marks: [
          {type: 'line', from: {data: 'one'}, sort: {field: 'datum.n'}, encode: {enter: {
            x: {scale: 'x', field: 'n'}, y: {scale: 'y', field: 'best'}, stroke: {value: '#d62728'}, interpolate: {value: 'step-after'}}}}]},
        {type: 'symbol', from: {data: 'rows'}, encode: {enter: {
          x: {scale: 'x', field: 'n'}, y: {scale: 'y', field: 'value'}, fill: {scale: 'color', field: 'sampler'}, size: {value: 40},
          tooltip: {signal: "datum.trial + ': ' + format(datum.value, '.4g')"}}}},
      ],
    }, 'best ' + objective.metric + ' so far (red) against proposals');
  }

  function paretoFront(box, rows, objectives, front) {
    const [a, b] = objectives;
    const points = rows.filter((r) => r.status === 'completed' && isNum(r.t.final[a.metric]) && isNum(r.t.final[b.metric]))
      .map((r) => ({x: r.t.final[a.metric], y: r.t.final[b.metric], trial: r.id, on: front.has(r.id) ? 'on the front' : 'dominated or infeasible'}));
    if (!points.length) return;
    chart(box, {
      width: 360, height: 260,
      data: [{name: 'rows', values: points},
             {name: 'front', source: 'rows', transform: [{type: 'filter', expr: "datum.on === 'on the front'"}]}],
      scales: [
        {name: 'x', type: 'linear', domain: {data: 'rows', field: 'x'}, range: 'width', zero: false, nice: true},
        {name: 'y', type: 'linear', domain: {data: 'rows', field: 'y'}, range: 'height', zero: false, nice: true},
        {name: 'color', type: 'ordinal', domain: ['on the front', 'dominated or infeasible'], range: ['#d62728', '#ccc']},
      ],
      axes: [{orient: 'bottom', scale: 'x', title: a.metric + ' (' + a.mode + ')'}, {orient: 'left', scale: 'y', title: b.metric + ' (' + b.mode + ')'}],
      legends: [{fill: 'color', title: 'trial'}],
      marks: [
        {type: 'line', from: {data: 'front'}, sort: {field: 'datum.x'}, encode: {enter: {
          x: {scale: 'x', field: 'x'}, y: {scale: 'y', field: 'y'}, stroke: {value: '#d62728'}, interpolate: {value: a.mode === b.mode ? 'step-after' : 'step-before'}}}},
        {type: 'symbol', from: {data: 'rows'}, encode: {enter: {
          x: {scale: 'x', field: 'x'}, y: {scale: 'y', field: 'y'}, fill: {scale: 'color', field: 'on'}, size: {value: 50},
          tooltip: {signal: "datum.trial + ': ' + format(datum.x, '.4g') + ', ' + format(datum.y, '.4g')"}}}},
      ],
    }, 'Pareto front: ' + a.metric + ' against ' + b.metric);
  }

  function proposalsOf(box, rows, key) {
    const points = rows.map((r) => ({n: r.n, value: at(r.t.config, key), sampler: r.sampler, trial: r.id}))
      .filter((p) => p.value !== undefined);
    if (!points.length) return;
    const p = describeParam(points.map((q) => ({config: {v: q.value}})), 'v');
    const y = p.numeric ? {name: 'y', type: p.log ? 'log' : 'linear', domain: [p.lo, p.hi], range: 'height', zero: false, nice: !p.log}
                        : {name: 'y', type: 'point', domain: p.labels, range: 'height', padding: 0.5};
    for (const q of points) if (!p.numeric) q.value = fmt(q.value);
    chart(box, {
      width: 300, height: 160,
      data: [{name: 'rows', values: points}],
      scales: [{name: 'x', type: 'linear', domain: {data: 'rows', field: 'n'}, range: 'width'}, y,
               {name: 'color', type: 'ordinal', domain: ['random', 'tpe'], range: ['#aaa', '#1f77b4']}],
      axes: [{orient: 'bottom', scale: 'x', title: 'proposal', tickMinStep: 1}, {orient: 'left', scale: 'y', title: key}],
      marks: [{type: 'symbol', from: {data: 'rows'}, encode: {enter: {
        x: {scale: 'x', field: 'n'}, y: {scale: 'y', field: 'value'}, fill: {scale: 'color', field: 'sampler'}, size: {value: 30},
        tooltip: {signal: "datum.trial + ': ' + datum.value"}}}}],
    }, 'proposals of ' + key + ' over time');
  }

  function rungReached(box, rows) {
    const points = rows.filter((r) => ['completed', 'pruned'].includes(r.status)).map((r) => ({n: r.n, epochs: r.epochs, status: r.status, trial: r.id}));
    chart(box, {
      width: 300, height: 160,
      data: [{name: 'rows', values: points}],
      scales: [{name: 'x', type: 'linear', domain: {data: 'rows', field: 'n'}, range: 'width'},
               {name: 'y', type: 'linear', domain: {data: 'rows', field: 'epochs'}, range: 'height', nice: true},
               {name: 'color', type: 'ordinal', domain: STATUSES, range: STATUS_COLORS}],
      axes: [{orient: 'bottom', scale: 'x', title: 'proposal', tickMinStep: 1}, {orient: 'left', scale: 'y', title: 'epochs reached', tickMinStep: 1}],
      legends: [{fill: 'color', title: 'status'}],
      marks: [{type: 'symbol', from: {data: 'rows'}, encode: {enter: {
        x: {scale: 'x', field: 'n'}, y: {scale: 'y', field: 'epochs'}, fill: {scale: 'color', field: 'status'}, size: {value: 40},
        tooltip: {signal: "datum.trial + ': epoch ' + datum.epochs"}}}}],
    }, 'the rung each proposal reached');
  }

  function gallery(parent, trials, best, varied, state) {
    const order = [...best, ...trials.filter((t) => !best.includes(t))].filter((t) => Object.keys(t.pictures || {}).length);
    if (!order.length) return;
    parent.appendChild(el('h3', {}, 'pictures of each trial (best by ' + (state.metric || '-') + ' first)'));
    order.forEach((t, i) => {
      const label = t.id + ' — ' + t.status + (varied.length ? ' — ' + varied.map((k) => k + '=' + fmt(at(t.config, k))).join(' ') : '') +
        (isNum(t.final[state.metric]) ? ' — ' + state.metric + ' ' + fmt(t.final[state.metric]) : '');
      const d = el('details', {class: 'trial'}, el('summary', {}, label));
      if (i < K_BEST) d.setAttribute('open', '');
      for (const [kind, path] of Object.entries(t.pictures).sort())
        d.appendChild(el('figure', {}, el('img', {src: path, alt: kind, loading: 'lazy'}), el('figcaption', {}, kind)));
      parent.appendChild(d);
    });
  }

  const data = JSON.parse(document.getElementById('report-data').textContent);
  document.getElementById('meta').textContent =
    'database ' + data.database + ', read ' + data.generated + '; ' + data.sweeps.length + ' sweep(s)';
  document.title = 'runner report: ' + data.sweeps.map((s) => s.name).join(', ');
  const root = document.getElementById('sweeps');
  for (const sweep of data.sweeps) {
    try {
      renderSweep(root, sweep);
    } catch (e) {
      reportError(e);
    }
  }
  Promise.all(rendering).then((done) => {
    document.documentElement.dataset.charts =
      'rendered ' + done.reduce((a, b) => a + b, 0) + ' of ' + rendering.length;
  });
})();
