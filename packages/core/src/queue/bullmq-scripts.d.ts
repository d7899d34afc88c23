/** BullMQ's Lua scripts as it defines them on its connections (`dist/cjs/scripts/index.js`). */
declare module 'bullmq/dist/cjs/scripts' {
  export interface BullmqScript {
    readonly name: string;
    /** How many of the arguments are keys. */
    readonly keys: number;
    readonly content: string;
  }
  export const addStandardJob: BullmqScript;
}
