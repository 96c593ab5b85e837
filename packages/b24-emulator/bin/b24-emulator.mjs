#!/usr/bin/env node
// `npx b24-emulator [--port N] …`: the emulator's sources are TypeScript, run through tsx.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
