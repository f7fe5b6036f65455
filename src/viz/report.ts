import { ConvlensError, checkArray, checkOptions, checkString, describeValue } from '../errors.js';
import { Figure, htmlPage } from './figure.js';
import { escapeXml } from './svg.js';

export interface ReportSection {
  heading: string;
  /** Paragraphs of plain text. */
  text?: string[] | string;
  /** Preformatted text, e.g. a matrix or the command that made the run. */
  pre?: string;
  figures?: { figure: Figure | string; caption?: string }[];
  /** A table: the first row is the header. */
  table?: (string | number)[][];
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
  checkString('report', 'title', options.title);
  if (options.meta !== undefined) checkString('report', 'meta', options.meta);
  checkArray('report', 'sections', options.sections, '{ heading, text?, pre?, table?, figures? } objects');
  const body = [`<h1>${escapeXml(options.title)}</h1>`];
  if (options.meta) body.push(`<p class="meta">${escapeXml(options.meta)}</p>`);
  const figureCount = { n: 0 };
  for (const [i, section] of options.sections.entries()) body.push(...sectionHtml(section, `sections[${i}]`, figureCount));
  return htmlPage(options.title, body);
}

/**
 * An SVG's ids (a colorbar's gradient) and the references to them, prefixed with the figure's
 * number: each figure is a document of its own, but inlined in one page their ids must differ.
 */
function ownIds(svg: string, figure: number): string {
  return svg.replace(/(\bid="|url\(#|href="#)([^"')]+)/g, (_, before: string, id: string) => `${before}f${figure}-${id}`);
}

/** Markup holding an svg element (after an XML declaration, a doctype or comments, as saved SVG files have them). */
function isSvgText(text: string): boolean {
  return text.trimStart().startsWith('<') && /<svg[\s>]/.test(text);
}

function sectionHtml(section: ReportSection, where: string, figureCount: { n: number }): string[] {
  checkOptions(`report (${where})`, section, ['heading', 'text', 'pre', 'table', 'figures']);
  checkString('report', `${where}.heading`, section.heading);
  const out = [`<section><h2>${escapeXml(section.heading)}</h2>`];
  // one paragraph may be given as a string
  const text = typeof section.text === 'string' ? [section.text] : (section.text ?? []);
  checkArray('report', `${where}.text`, text, 'paragraphs');
  for (const [k, p] of text.entries()) {
    checkString('report', `${where}.text[${k}]`, p);
    out.push(`<p>${escapeXml(p)}</p>`);
  }
  if (section.pre !== undefined) {
    checkString('report', `${where}.pre`, section.pre);
    out.push(`<pre>${escapeXml(section.pre)}</pre>`);
  }
  if (section.table !== undefined) out.push(...tableHtml(section.table, `${where}.table`));
  const figures = section.figures ?? [];
  checkArray('report', `${where}.figures`, figures, '{ figure, caption? } objects');
  for (const [k, item] of figures.entries()) {
    const figure = (item as { figure?: unknown } | null)?.figure;
    // text goes into the page as it is, so it must be an SVG document, not any markup or a file name
    if (!(figure instanceof Figure) && !(typeof figure === 'string' && isSvgText(figure))) {
      throw new ConvlensError(
        `report: ${where}.figures[${k}].figure must be a Figure or SVG text (markup with an <svg> element), got ${describeValue(figure)}`,
      );
    }
    const caption = item.caption;
    if (caption !== undefined) checkString('report', `${where}.figures[${k}].caption`, caption);
    const svg = ownIds(typeof figure === 'string' ? figure : figure.svg, ++figureCount.n);
    out.push(`<figure>${svg}${caption ? `<figcaption>${escapeXml(caption)}</figcaption>` : ''}</figure>`);
  }
  out.push('</section>');
  return out;
}

/** A table whose first row is the header; cells are text or numbers. */
function tableHtml(table: unknown, where: string): string[] {
  checkArray('report', where, table, 'rows');
  if (table.length === 0) return [];
  const cells = table.map((row, r) => {
    checkArray('report', `${where}[${r}]`, row, 'cells');
    return row.map((cell, c) => {
      if (typeof cell !== 'string' && typeof cell !== 'number') {
        throw new ConvlensError(`report: ${where}[${r}][${c}] must be text or a number, got ${describeValue(cell)}`);
      }
      return escapeXml(String(cell));
    });
  });
  const [head, ...rows] = cells;
  return [
    '<table>',
    `<tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr>`,
    ...rows.map((row) => `<tr>${row.map((cell) => `<td>${cell}</td>`).join('')}</tr>`),
    '</table>',
  ];
}
