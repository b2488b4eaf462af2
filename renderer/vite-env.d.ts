// Vite's client types: CSS modules, asset imports and import.meta.env for the renderer.
/// <reference types="vite/client" />
