/**
 * A Vite plugin that writes a gzip twin (`<name>.gz`) beside every text file of the build, so
 * kam-server sends compressed files without compressing at request time. zlib at level 9 gives the
 * same bytes for the same input, so the committed build stays reproducible.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import type { Plugin } from "vite";

const COMPRESSIBLE = /\.(js|css|html|svg|json)$/;

/** Smaller files gain nothing worth a second copy. */
const MIN_BYTES = 1024;

export function gzipTwins(): Plugin {
  let outDir = "dist";
  return {
    name: "kam-gzip-twins",
    apply: "build",
    configResolved(config) {
      outDir = config.build.outDir;
    },
    closeBundle() {
      for (const file of filesUnder(outDir)) {
        const content = readFileSync(file);
        if (COMPRESSIBLE.test(file) && content.length >= MIN_BYTES) {
          writeFileSync(`${file}.gz`, gzipSync(content, { level: 9 }));
        }
      }
    },
  };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}
