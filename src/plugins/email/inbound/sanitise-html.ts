/** Inbound email HTML is cleaned with the rules every channel shares. */
export { sanitiseMessageHtml as sanitiseEmailHtml } from '../../message-html';
