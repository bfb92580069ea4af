// Draws the add-in's icons from icon.svg and outline.svg with Chromium (playwright-core, as
// the end-to-end tests do) into addin/pane/assets: the sizes both manifests name. Run it
// after changing an SVG (`node addin/icons/render.mjs`); the PNGs are committed, so building
// and packaging never need a browser.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const assets = join(here, "../pane/assets");
// 16, 32 and 80 for the ribbon (both manifests), 64 and 128 for the XML manifest's icon and
// high-resolution icon, 192 the unified manifest's colour icon; the outline is 32.
const drawings = [
  ...[16, 32, 64, 80, 128, 192].map((size) => ({ svg: "icon.svg", size, out: `icon-${size}.png` })),
  { svg: "outline.svg", size: 32, out: "outline-32.png" },
];

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: ["--no-sandbox"] });
try {
  const page = await browser.newPage({ deviceScaleFactor: 1 });
  for (const { svg, size, out } of drawings) {
    const source = Buffer.from(readFileSync(join(here, svg))).toString("base64");
    await page.setViewportSize({ width: size, height: size });
    await page.setContent(`<html><body style="margin:0;background:transparent"><img style="display:block" width="${size}" height="${size}" src="data:image/svg+xml;base64,${source}"></body></html>`);
    await page.waitForFunction(() => document.images[0]?.complete);
    await page.screenshot({ path: join(assets, out), omitBackground: true, clip: { x: 0, y: 0, width: size, height: size } });
    console.log(`${out} (${size} × ${size})`);
  }
} finally {
  await browser.close();
}
