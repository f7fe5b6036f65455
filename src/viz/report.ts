import { checkOptions } from '../errors.js';
import type { Figure } from './figure.js';
import { htmlPage } from './figure.js';
import { escapeXml } from './svg.js';

export interface ReportSection {
  heading: string;
  /** Paragraphs of plain text. */
  text?: string[];
  /** Preformatted text, e.g. a matrix or the command that made the run. */
  pre?: string;
  figures?: { figure: Figure | string; caption?: string }[];
  /** A table: the first row is the header. */
  table?: string[][];
}

export interface ReportOptions {
  title: string;
  /** A line under the title: the date, the command, the machine... */
  meta?: string;
  sections: ReportSection[];
}

/**
 * One self-contained HTML file with the figures of a run (SVG inline, pixels as data URIs, no
 * scripts, no external requests): open it offline, mail it, attach it to a ticket.
 */
export function report(options: ReportOptions): string {
  checkOptions('report', options, ['title', 'meta', 'sections']);
  const body = [`<h1>${escapeXml(options.title)}</h1>`];
  if (options.meta) body.push(`<p class="meta">${escapeXml(options.meta)}</p>`);
  for (const section of options.sections) {
    body.push(`<section><h2>${escapeXml(section.heading)}</h2>`);
    for (const p of section.text ?? []) body.push(`<p>${escapeXml(p)}</p>`);
    if (section.pre) body.push(`<pre>${escapeXml(section.pre)}</pre>`);
    if (section.table && section.table.length > 0) {
      const [head, ...rows] = section.table;
      body.push('<table>');
      body.push(`<tr>${head.map((h) => `<th>${escapeXml(h)}</th>`).join('')}</tr>`);
      for (const row of rows) body.push(`<tr>${row.map((cell) => `<td>${escapeXml(cell)}</td>`).join('')}</tr>`);
      body.push('</table>');
    }
    for (const { figure, caption } of section.figures ?? []) {
      const svg = typeof figure === 'string' ? figure : figure.svg;
      body.push(`<figure>${svg}${caption ? `<figcaption>${escapeXml(caption)}</figcaption>` : ''}</figure>`);
    }
    body.push('</section>');
  }
  return htmlPage(options.title, body);
}
