export { Network, NetworkError, type FlowId, type FlowSpec, type LinkId, type LinkSpec, type SharingMode } from "./network.js";
