// Node 20 lacks Promise.withResolvers, which aws-local-stepfunctions 3 uses; without it every Task fails silently.
import '../infra/local/polyfills';
