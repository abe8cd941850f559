// E102: `--set width` without `=value`, and one parameter set twice.
import { findBlock } from '../../../cli/blocks.js';
import { resolveParams } from '../../../cli/params.js';

export default () => resolveParams(findBlock('counter'), ['width', 'width=4', 'width=5']);
