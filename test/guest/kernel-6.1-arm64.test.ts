// The guest checks (checks/) on Debian's 6.1 cloud kernel for arm64, in one boot.
import { guestSuite } from "./suite.js";
import { ALL_CHECKS } from "./checks/index.js";

guestSuite("6.1-arm64", ALL_CHECKS);
