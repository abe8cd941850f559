// E101: every problem of one command line is reported at once: unknown name, bad boolean, out of range.
import { findBlock } from '../../../cli/blocks.js';
import { resolveParams } from '../../../cli/params.js';

export default () => resolveParams(findBlock('mac'), ['depth=4', 'signed=maybe', 'accWidth=200']);
