import Joi from 'joi';

interface StringMapSchema extends Joi.ObjectSchema {
  entries(keyPattern: RegExp, maxValueLength: number): this;
}

interface StringMapRoot extends Joi.Root {
  stringMap(): StringMapSchema;
}

/**
 * `Joi.stringMap().entries(keyPattern, maxValueLength)`: an object whose keys match
 * `keyPattern` and whose values are strings of at most `maxValueLength` characters, the
 * shape of labels and annotations.
 *
 * It replaces `Joi.object().pattern(keyPattern, Joi.string().max(n))`, which validates
 * every value as a schema of its own: for labels and annotations that was about a quarter
 * of the cost of validating a webhook (bench/README.md, "Findings"). This checks the same
 * rules in one loop and words its errors as joi does, at the offending key's path. Unlike
 * `pattern()`, it keeps the caller's object instead of copying it, which spares garbage.
 *
 * Made on demand, not when the module loads: `Joi.extend` copies joi's whole root, about
 * 20 ms, which a worker, loading this package but never validating an alert, would spend
 * at every start (bench/README.md, finding 54).
 */
export function createStringMapJoi(): StringMapRoot {
  return Joi.extend((joi) => ({
    type: 'stringMap',
    base: joi.object(),
    messages: {
      'stringMap.key': '{{#label}} is not allowed',
      'stringMap.string': '{{#label}} must be a string',
      'stringMap.max': '{{#label}} length must be less than or equal to {{#limit}} characters long',
    },
    rules: {
      entries: {
        args: ['keyPattern', 'maxValueLength'],
        method(keyPattern: RegExp, maxValueLength: number) {
          return this.$_addRule({ name: 'entries', args: { keyPattern, maxValueLength } });
        },
        validate(value: Record<string, unknown>, helpers: Joi.CustomHelpers, { keyPattern, maxValueLength }: { keyPattern: RegExp; maxValueLength: number }) {
          for (const key of Object.keys(value)) {
            const entry = value[key];
            // An own "__proto__" key (JSON.parse makes one) would turn into a prototype
            // assignment the moment anything spread or assigned the map: refused outright.
            const error = key === '__proto__' || !keyPattern.test(key)
              ? 'stringMap.key'
              : typeof entry !== 'string'
                ? 'stringMap.string'
                : entry.length > maxValueLength
                  ? 'stringMap.max'
                  : undefined;
            if (error) {
              const state = helpers.state.localize!([...helpers.state.path!, key]);
              return helpers.error(error, { limit: maxValueLength, key }, state);
            }
          }
          return value;
        },
      },
    },
  }));
}
