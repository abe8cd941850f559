// E101: a parameter that depends on another: accWidth must be at least 2*width+1.
import { findBlock } from '../../../cli/blocks.js';
import { resolveParams } from '../../../cli/params.js';

export default () => resolveParams(findBlock('mac'), ['width=16', 'accWidth=32']);
