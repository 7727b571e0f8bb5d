import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../src/errors.js";
import {
  EXCEPTIONS,
  exceptionInfo,
  FIRST_EXTERNAL_VECTOR,
  pushesErrorCode,
  Vector,
  vectorName,
} from "../src/interrupts/vectors.js";

describe("exception vectors (Intel SDM Vol. 3A Table 6-1)", () => {
  it("numbers the exceptions as the SDM does", () => {
    expect([Vector.DE, Vector.NMI, Vector.UD, Vector.DF, Vector.GP, Vector.PF, Vector.AC, Vector.CP]).toEqual(
      [0, 2, 6, 8, 13, 14, 17, 21],
    );
    for (const [i, e] of EXCEPTIONS.entries()) expect(e.vector).toBe(i);
  });

  it("SDM 6.13: exactly #DF, #TS, #NP, #SS, #GP, #PF, #AC and #CP push an error code", () => {
    const withCode = EXCEPTIONS.filter((e) => e.errorCode).map((e) => e.mnemonic);
    expect(withCode).toEqual(["#DF", "#TS", "#NP", "#SS", "#GP", "#PF", "#AC", "#CP"]);
    expect(pushesErrorCode(Vector.PF)).toBe(true);
    expect(pushesErrorCode(Vector.BP)).toBe(false);
  });

  it("external interrupts (32–255) never push an error code and are not exceptions", () => {
    for (let v = FIRST_EXTERNAL_VECTOR; v < 256; v++) {
      expect(pushesErrorCode(v)).toBe(false);
      expect(exceptionInfo(v)).toBeUndefined();
    }
  });

  it("SDM 6.5: #PF is a fault (restartable), #BP a trap, #DF and #MC aborts", () => {
    expect(exceptionInfo(Vector.PF)?.class).toBe("fault");
    expect(exceptionInfo(Vector.BP)?.class).toBe("trap");
    expect(exceptionInfo(Vector.DF)?.class).toBe("abort");
    expect(exceptionInfo(Vector.MC)?.class).toBe("abort");
  });

  it("names vectors for logs", () => {
    expect(vectorName(14)).toBe("#PF (Page Fault)");
    expect(vectorName(25)).toBe("reserved vector 25");
    expect(vectorName(0x20)).toBe("vector 0x20");
  });

  it("refuses a vector outside 0..255", () => {
    for (const bad of [-1, 256, 1.5, Number.NaN]) {
      expect(() => exceptionInfo(bad)).toThrow(InvalidArgumentError);
      expect(() => pushesErrorCode(bad)).toThrow(/not a vector/);
    }
  });
});
