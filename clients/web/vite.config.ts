/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";
import { gzipTwins } from "./scripts/gzip-twins.ts";

// `npm run dev` serves the app with hot reload and passes gRPC-Web calls on to kam-server
// (KAM_URL, default http://127.0.0.1:50051). `npm run build` writes dist/, which kam-server embeds.
export default defineConfig({
  plugins: [react(), gzipTwins()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // Everything is a file of its own: the Content-Security-Policy allows no data: URLs for code.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
    // The shared chunk carries every kam.v1 message descriptor (about 400 kB, 120 kB gzipped); the
    // budget that matters, JavaScript gzipped, is measured by `npm run budgets`.
    chunkSizeWarningLimit: 600,
  },
  server: {
    proxy: {
      "^/kam\\.v1\\.": { target: process.env.KAM_URL ?? "http://127.0.0.1:50051", changeOrigin: true },
    },
  },
  test: {
    environment: "node",
    include: ["test/**/*.test.ts"],
  },
});
