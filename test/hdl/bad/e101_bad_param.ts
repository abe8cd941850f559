// E101: `splitfuse gen mac --set width=12`.
import { findBlock } from '../../../cli/blocks.js';
import { resolveParams } from '../../../cli/params.js';

export default () => resolveParams(findBlock('mac'), ['width=12']);
