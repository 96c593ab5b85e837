import './main.css';
import b24UiPlugin from '@bitrix24/b24ui-nuxt/vue-plugin';
import { createHead } from '@unhead/vue/client';
import { createApp } from 'vue';
import App from './App.vue';
import { followSystemTheme } from './theme.ts';

// The page's CSP allows only our files and elements carrying this page's nonce. The UI kit
// puts its theme variables in a <style> through unhead: give every tag it writes the nonce
// (a nonce is readable from script as the element's property, never from the markup).
const nonce = (document.getElementById('boot') as HTMLScriptElement | null)?.nonce ?? '';
const head = createHead();
head.hooks?.hook('tags:resolve', (ctx) => {
  for (const tag of ctx.tags) if (tag.tag === 'style' || tag.tag === 'script') tag.props.nonce = nonce;
});

// Its colours plugin also writes a first copy of that <style> straight into <head> while it
// installs (removed once unhead has rendered its own): give that one the nonce too, for as
// long as the plugin installs, and nothing else.
const appendChild = document.head.appendChild;
document.head.appendChild = function <T extends Node>(this: HTMLHeadElement, node: T): T {
  if (node instanceof HTMLStyleElement) node.nonce = nonce;
  return appendChild.call(this, node) as T;
};
followSystemTheme();
// The UI kit's plugin uses this head (it adds its own only when none is there).
const app = createApp(App).use(head).use(b24UiPlugin);
document.head.appendChild = appendChild;
app.mount('#app');
