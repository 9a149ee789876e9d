import { describeMoneyModel } from './money-model-property';

/**
 * The money model-based test on its published seed; MONEY_MODEL_SEED replays another (the property and its oracle: money-model-property.ts and
 * money-model.ts). Four files of 500 runs, one seed each, so 2,000 runs share the cores.
 */
describeMoneyModel(Number(process.env.MONEY_MODEL_SEED ?? 20261206));
