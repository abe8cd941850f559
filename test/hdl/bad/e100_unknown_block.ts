// E100: `splitfuse gen maq`: an unknown block name (close to 'mac').
import { findBlock } from '../../../cli/blocks.js';

export default () => findBlock('maq');
