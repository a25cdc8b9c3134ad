import { expect } from 'chai';
import { barChartSvg } from '../../bench/chart-svg';

describe('bench chart-svg', () => {
  const svg = barChartSvg({
    title: 'A & B <compared>',
    lines: ['2026-12-03 · 2 x CPU', 'a caption line long enough to be wrapped '.repeat(6)],
    panels: [
      {
        title: 'SET -c 50',
        subtitle: 'higher is better',
        bars: [
          { label: 'raftcache', value: 100, highlight: true },
          { label: 'redis "fast"', value: 400, note: 'raftcache = 0.25×' },
          { label: 'etcd', value: undefined, missing: 'n/a (no pipelining)' },
        ],
        format: (v) => `${v}/s`,
      },
    ],
    footnotes: ['small print'],
  });

  it('is one standalone svg document with an opaque background', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).to.equal(true);
    expect(svg.trim().endsWith('</svg>')).to.equal(true);
    expect(svg).to.match(/<rect width="\d+" height="\d+" fill="#ffffff"\/>/);
  });

  it('escapes text and writes values, notes and missing cells', () => {
    expect(svg).to.include('A &amp; B &lt;compared&gt;');
    expect(svg).to.include('redis &quot;fast&quot;');
    expect(svg).to.include('400/s');
    expect(svg).to.include('raftcache = 0.25×');
    expect(svg).to.include('n/a (no pipelining)');
    // No raw markup characters left inside any text element.
    expect(svg).not.to.match(/<text[^>]*>[^<]*(&(?!amp;|lt;|gt;|quot;)|[>"])[^<]*<\/text>/);
  });

  it('scales bars to the panel maximum, one bar per measured value', () => {
    const widths = [...svg.matchAll(/<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(widths).to.have.length(2);
    expect(widths[1] / widths[0]).to.be.closeTo(4, 0.01);
  });

  it('wraps caption lines that would not fit', () => {
    expect(svg.match(/caption/g)?.length).to.equal(6);
    expect(svg.match(/<text x="24"[^>]*font-size="13"/g)?.length ?? 0).to.be.greaterThan(2);
  });
});
