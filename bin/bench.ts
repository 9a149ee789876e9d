/**
 * `npm run bench [-- <name>…]`: the benchmarks (tools/bench/run.ts says how they run). Here so that every npm entry
 * point is found in bin/.
 */
import '../tools/bench/run';
