import { createMemoryStore } from "../memory.js";
import { describeStoreContract } from "./store-contract.js";

describeStoreContract("memory", createMemoryStore);
