// The page's entry. The app's code lives in src/web (type-checked by tsconfig.web.json); this
// file only sits inside Vite's root (web/) so that the dev server can serve the page's script.
import '../src/web/main.ts';
