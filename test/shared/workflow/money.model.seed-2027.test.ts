import { describeMoneyModel } from './money-model-property';

/**
 * The money model-based test, seed 2027 (the property and its oracle: money-model-property.ts and
 * money-model.ts). Four files of 500 runs, one seed each, so 2,000 runs share the cores.
 */
describeMoneyModel(2027);
